# Reference values for tests/test_nominal_mirt.py: R mirt's nominal model on responses.csv.
# Run from the repository root: Rscript tests/data/nominal/mirt.R  (mirt 1.4x; writes mirt.csv)
suppressMessages(library(mirt))
x <- read.csv("tests/data/nominal/responses.csv")
fit <- mirt(x, 1, "nominal", SE = TRUE, SE.type = "Oakes", TOL = 1e-6, technical = list(NCYCLES = 5000), verbose = FALSE)
stopifnot(extract.mirt(fit, "converged"))
cf <- coef(fit, printSE = TRUE)
rows <- list()
for (j in seq_len(ncol(x))) {
  m <- cf[[j]]
  for (p in colnames(m)) {
    rows[[length(rows) + 1]] <- data.frame(
      item = colnames(x)[j], parameter = p, estimate = m["par", p], se = m["SE", p]
    )
  }
}
out <- do.call(rbind, rows)
out <- rbind(out, data.frame(item = "", parameter = "loglik", estimate = logLik(fit), se = NA))
out <- rbind(out, data.frame(
  item = "", parameter = paste0("mirt ", packageVersion("mirt")), estimate = NA, se = NA
))
write.csv(out, "tests/data/nominal/mirt.csv", row.names = FALSE, na = "")
