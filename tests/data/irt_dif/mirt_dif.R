suppressMessages(library(mirt))
d <- read.csv("tests/data/irt_dif/three_groups.csv")
grp <- factor(d$group, levels = c("R", "A", "B"))
dat <- d[, -1]
t0 <- proc.time()
mod <- multipleGroup(dat, 1, group = grp, itemtype = "2PL",
  invariance = c(colnames(dat), "free_means", "free_var"), verbose = FALSE, TOL = 1e-6,
  technical = list(NCYCLES = 5000))
cat("loglik", logLik(mod), "\n")
cf <- coef(mod, simplify = TRUE)
for (g in names(cf)) cat(g, "mean", cf[[g]]$means, "var", cf[[g]]$cov, "\n")
dif <- DIF(mod, which.par = c("a1", "d"), scheme = "drop", items2test = 1:8, verbose = FALSE)
print(dif)
cat("seconds", (proc.time() - t0)[3], "\n")
