"""Item models with variable parts for the example bank (used by ``author_items.py``).

Each ``model_*`` function draws the variable parts of a few items with the ``random.Random`` it is
given, computes the key and error-based distractors, and returns :class:`Draft` objects. Every draft
records its model name and its variable parts (``params``), so that :func:`check_draft` can
recompute the key **independently** (with the :mod:`statistics` module, :mod:`fractions`,
:mod:`numpy` or by running the SQL in :mod:`sqlite3`) and confirm that the key is the unique
correct option and that all options are distinct.

Distractors come from documented common errors (median of the unsorted list, population instead
of sample standard deviation, INNER instead of LEFT JOIN row counts, adding instead of
multiplying probabilities, ...); the reason for each is written into the item's rationale.
"""

from __future__ import annotations

import math
import random
import re
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np


@dataclass
class Draft:
    """One item before ids, option letters and metadata are assigned.

    ``key`` is the text of the correct option (a list of texts for msq); ``wrong`` holds
    ``(text, why it is wrong)`` pairs. ``order`` is ``shuffle`` (letters balanced across the
    bank), ``numeric`` (options sorted by value) or ``fixed`` (as written).
    """

    outcome: str
    level: str
    stem: str
    key: str | list[str] | None
    why: str
    wrong: list[tuple[str, str]] = field(default_factory=list)
    type: str = "mcq"
    order: str = "shuffle"
    status: str | None = None
    tag: str | None = None
    enemy: str | None = None
    set: str | None = None
    guide: list[str] | None = None
    fixed_options: list[str] | None = None
    model: str | None = None
    params: dict | None = None


def fmt(x: float, decimals: int = 2) -> str:
    """Format a number with fixed decimals and a real minus sign."""
    text = f"{x:,.{decimals}f}"
    if text.startswith("-"):
        text = "−" + text[1:]
    if text in ("−0", "−0.0", "−0.00", "−0.000"):
        text = text[1:]
    return text


def number_of(text: str) -> float:
    """The first number in an option text (used to sort numeric options)."""
    match = re.search(r"[−-]?\d[\d,]*(\.\d+)?", text)
    if match is None:
        raise ValueError(f"no number in option {text!r}")
    return float(match.group(0).replace(",", "").replace("−", "-"))


def md_table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table; ``None`` cells are shown as NULL."""

    def cell(v: object) -> str:
        return "NULL" if v is None else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _numeric(outcome, level, stem, key, why, wrong, model, params) -> Draft:
    return Draft(outcome, level, stem, key, why, wrong, order="numeric", model=model, params=params)


# ---------------------------------------------------------------------------------------------
# DA1 Data and measurement
# ---------------------------------------------------------------------------------------------
LEVELS = ["Nominal", "Ordinal", "Interval", "Ratio"]
_LEVEL_VARIABLES = [
    (
        "the blood type of donors (A, B, AB, O)",
        "Nominal",
        "Blood types are unordered labels; they can only be counted.",
    ),
    (
        "the finishing position of runners in a race (1st, 2nd, 3rd, ...)",
        "Ordinal",
        "Positions are ordered, but the time gaps between 1st and 2nd and between 2nd and 3rd "
        "differ.",
    ),
    (
        "the air temperature in degrees Celsius recorded by a weather station",
        "Interval",
        "Differences are meaningful, but 0 °C is an arbitrary point, so 20 °C is not twice as hot "
        "as 10 °C.",
    ),
    (
        "the time in seconds a visitor spends on a web page",
        "Ratio",
        "Time has equal intervals and a true zero, so 60 s is twice as long as 30 s.",
    ),
    (
        "the calendar year in which a company was founded",
        "Interval",
        "Differences between years are meaningful, but year 0 is a convention, not an absence of "
        "time.",
    ),
    (
        "the highest education level completed (primary, secondary, bachelor, master, doctorate)",
        "Ordinal",
        "The levels are ordered, but the steps between them are not equal amounts.",
    ),
]
_WHY_NOT_LEVEL = {
    (
        "Nominal",
        "ordered",
    ): "The values have a meaningful order, so the variable is more than nominal.",
    ("Nominal", "unordered"): "",
    ("Ordinal", "ordered"): "",
    (
        "Ordinal",
        "numeric",
    ): "Differences between values are meaningful, so the variable is more than ordinal.",
    ("Ordinal", "unordered"): "The categories have no natural order.",
    ("Interval", "cat"): "Differences between the values are not equal, meaningful amounts.",
    ("Interval", "ratio"): "The scale has a true zero, so it is ratio rather than interval.",
    ("Ratio", "cat"): "The values are not amounts measured from a true zero.",
    (
        "Ratio",
        "interval",
    ): "Zero on this scale is arbitrary, so ratios of values are not meaningful.",
}


def _why_not_level(wrong: str, true: str) -> str:
    if wrong == "Nominal":
        return _WHY_NOT_LEVEL[("Nominal", "ordered")]
    if wrong == "Ordinal":
        return _WHY_NOT_LEVEL[("Ordinal", "unordered" if true == "Nominal" else "numeric")]
    if wrong == "Interval":
        return _WHY_NOT_LEVEL[("Interval", "ratio" if true == "Ratio" else "cat")]
    return _WHY_NOT_LEVEL[("Ratio", "interval" if true == "Interval" else "cat")]


def model_level_of_measurement(rng: random.Random) -> list[Draft]:
    out = []
    for variable, level, why in _LEVEL_VARIABLES:
        stem = f"What is the level of measurement of {variable}?\n"
        wrong = [(lv, _why_not_level(lv, level)) for lv in LEVELS if lv != level]
        out.append(
            Draft(
                "DA1",
                "apply",
                stem,
                level,
                why,
                wrong,
                order="fixed",
                fixed_options=list(LEVELS),
                model="level_of_measurement",
                params={"variable": variable},
            )
        )
    return out


def check_level_of_measurement(p: dict) -> str:
    return {v: lv for v, lv, _ in _LEVEL_VARIABLES}[p["variable"]]


TYPES = [
    "Categorical, nominal",
    "Categorical, ordinal",
    "Numerical, discrete",
    "Numerical, continuous",
]
_TYPE_VARIABLES = [
    (
        "the number of visits a website receives per day",
        2,
        "Visits are counted in whole numbers, so the variable is numerical and discrete.",
    ),
    (
        "the time a customer needs to complete a checkout",
        3,
        "Time is measured and can take any value in an interval, so it is numerical and "
        "continuous.",
    ),
    (
        "the T-shirt size ordered (S, M, L, XL)",
        1,
        "Sizes are categories with a natural order but no fixed numeric distance between them.",
    ),
    (
        "the product category of an order (books, toys, garden)",
        0,
        "The categories are labels with no natural order.",
    ),
    (
        "the number of defective units in a production batch",
        2,
        "A count of units takes only whole-number values, so it is discrete.",
    ),
]
_WHY_NOT_TYPE = [
    "The values are not unordered labels.",
    "The values are not ordered categories.",
    "The values are not restricted to separate counts.",
    "The values do not vary continuously over an interval.",
]


def model_data_type(rng: random.Random) -> list[Draft]:
    out = []
    for variable, k, why in _TYPE_VARIABLES:
        stem = f"A variable records {variable}. How is this variable best classified?\n"
        wrong = []
        for j, t in enumerate(TYPES):
            if j == k:
                continue
            reason = _WHY_NOT_TYPE[j]
            if k <= 1 and j >= 2:
                reason = "The values are categories, not numbers that measure an amount."
            if k >= 2 and j <= 1:
                reason = "The values are numbers that measure an amount, not categories."
            wrong.append((t, reason))
        out.append(
            Draft(
                "DA1",
                "understand",
                stem,
                TYPES[k],
                why,
                wrong,
                order="fixed",
                fixed_options=list(TYPES),
                model="data_type",
                params={"variable": variable},
            )
        )
    return out


def check_data_type(p: dict) -> str:
    return {v: TYPES[k] for v, k, _ in _TYPE_VARIABLES}[p["variable"]]


_STRATA_CONTEXTS = [
    ("A company surveys its staff", "departments", ["Sales", "Operations", "IT", "Finance"]),
    ("A university surveys its students", "faculties", ["Arts", "Science", "Business", "Law"]),
    (
        "A retailer surveys its stores' customers",
        "store regions",
        ["North", "South", "East", "West"],
    ),
    (
        "A hospital surveys its patients",
        "wards",
        ["Surgery", "Medicine", "Maternity", "Pediatrics"],
    ),
]


def model_stratified_allocation(rng: random.Random) -> list[Draft]:
    out = []
    for context, what, names in _STRATA_CONTEXTS:
        while True:
            h = rng.choice([3, 4])
            sizes = [rng.randrange(100, 1300, 50) for _ in range(h)]
            total = sum(sizes)
            n = rng.choice([60, 80, 120, 150, 200, 240])
            target = rng.randrange(h)
            key = Fraction(n * sizes[target], total)
            equal = Fraction(n, h)
            share = Fraction(100 * sizes[target], total)
            others = Fraction(n * sizes[target], total - sizes[target])
            vals = [key, equal, share, others]
            if all(v.denominator == 1 for v in vals[:3]) and len({round(v) for v in vals}) == 4:
                break
        listing = ", ".join(f"{nm} {s:,}" for nm, s in zip(names, sizes, strict=False))
        stem = (
            f"{context} with a proportionally stratified random sample of {n} people. The "
            f"{what} have these sizes: {listing} (total {total:,}). How many people should be "
            f"sampled from {names[target]}?\n"
        )
        why = (
            f"Proportional allocation samples each stratum in proportion to its size: "
            f"{n} × {sizes[target]:,} / {total:,} = {int(key)}."
        )
        wrong = [
            (
                str(int(equal)),
                f"{n} / {h} = {int(equal)} is equal allocation, which ignores the stratum sizes.",
            ),
            (
                str(int(share)),
                f"{int(share)} is {names[target]}'s percentage share of the "
                "population, not a number of people.",
            ),
            (
                str(round(others)),
                "This divides by the size of the other strata instead of the total population.",
            ),
        ]
        out.append(
            _numeric(
                "DA1",
                "apply",
                stem,
                str(int(key)),
                why,
                wrong,
                "stratified_allocation",
                {"sizes": sizes, "n": n, "target": target},
            )
        )
    return out


def check_stratified_allocation(p: dict) -> str:
    share = np.asarray(p["sizes"], dtype=float) / np.sum(p["sizes"])
    return str(round(p["n"] * share[p["target"]]))


# ---------------------------------------------------------------------------------------------
# DA2 Data preparation
# ---------------------------------------------------------------------------------------------
_IMPUTE_CONTEXTS = [
    "daily number of support tickets",
    "weekly hours worked by part-time staff",
    "number of items per online order",
    "daily rainfall in millimetres",
]


def model_mean_imputation(rng: random.Random) -> list[Draft]:
    out = []
    for context in _IMPUTE_CONTEXTS:
        while True:
            obs = [rng.randint(2, 40) for _ in range(rng.choice([7, 9]))]
            if sum(obs) % len(obs):
                continue
            k = rng.choice([2, 3])
            mean = Fraction(sum(obs), len(obs))
            zero = Fraction(sum(obs), len(obs) + k)
            med = Fraction(statistics.median(obs))
            mid = Fraction(min(obs) + max(obs), 2)
            vals = [mean, zero, med, mid]
            if len({fmt(float(v), 1) for v in vals}) == 4:
                break
        cells = [str(v) for v in obs]
        for _ in range(k):
            cells.insert(rng.randrange(1, len(cells)), "NA")
        stem = (
            f"A column holding the {context} contains: {', '.join(cells)}. The analyst replaces "
            "each missing value (NA) with the **mean of the observed values**. Which value is "
            "imputed?\n"
        )
        why = (
            f"The {len(obs)} observed values sum to {sum(obs)}; {sum(obs)} / {len(obs)} = "
            f"{fmt(float(mean), 1)}. Missing values are left out of both the sum and the count."
        )
        wrong = [
            (fmt(float(zero), 1), f"This divides by all {len(cells)} cells, treating NA as 0."),
            (fmt(float(med), 1), "This is the median of the observed values, not the mean."),
            (fmt(float(mid), 1), "This is the midrange (minimum + maximum) / 2, not the mean."),
        ]
        out.append(
            _numeric(
                "DA2",
                "apply",
                stem,
                fmt(float(mean), 1),
                why,
                wrong,
                "mean_imputation",
                {"cells": cells},
            )
        )
    return out


def check_mean_imputation(p: dict) -> str:
    values = [float(c) for c in p["cells"] if c != "NA"]
    return fmt(float(np.mean(values)), 1)


def model_listwise_deletion(rng: random.Random) -> list[Draft]:
    out = []
    cols = ["age", "income", "region"]
    for _ in range(3):
        while True:
            rows = []
            for i in range(8):
                row = [
                    str(rng.randint(19, 70)),
                    str(rng.randrange(21000, 90000, 500)),
                    rng.choice(["North", "South", "East", "West"]),
                ]
                for j in range(3):
                    if rng.random() < 0.22:
                        row[j] = "NA"
                rows.append([i + 1, *row])
            na_cells = sum(c == "NA" for r in rows for c in r[1:])
            complete = sum(all(c != "NA" for c in r[1:]) for r in rows)
            minus_cells = 8 - na_cells
            minus_first = 8 - sum(r[1] == "NA" for r in rows)
            all_missing = sum(all(c == "NA" for c in r[1:]) for r in rows)
            vals = [complete, minus_cells, minus_first, 8 - all_missing]
            if len(set(vals)) == 4 and min(vals) > 0 and 3 <= na_cells <= 6:
                break
        stem = (
            "The table below has 8 rows; NA marks a missing value.\n\n"
            + md_table(["row", *cols], rows)
            + "\n\nHow many rows remain after **listwise deletion** (dropping every row that has "
            "one or more missing values)?\n"
        )
        why = f"Only rows with no NA in any column are kept; {complete} rows are complete."
        wrong = [
            (
                str(minus_cells),
                f"8 − {na_cells} subtracts the number of missing cells, which "
                "double-counts rows with more than one NA.",
            ),
            (
                str(minus_first),
                "This drops only the rows with a missing age and ignores the other columns.",
            ),
            (str(8 - all_missing), "This drops only rows in which every value is missing."),
        ]
        out.append(
            _numeric(
                "DA2", "apply", stem, str(complete), why, wrong, "listwise_deletion", {"rows": rows}
            )
        )
    return out


def check_listwise_deletion(p: dict) -> str:
    return str(sum(1 for r in p["rows"] if "NA" not in r[1:]))


def _join_tables(rng: random.Random):
    while True:
        n_c = rng.randint(4, 5)
        cust = list(range(101, 101 + n_c))
        n_o = rng.randint(6, 8)
        pool = cust + [101 + n_c, 101 + n_c + 1]
        orders = [rng.choice(pool) for _ in range(n_o)]
        matched = [o for o in orders if o in cust]
        inner = len(matched)
        left_c = sum(max(1, orders.count(c)) for c in cust)
        full = left_c + (n_o - inner)
        counts = {"inner": inner, "left_c": left_c, "left_o": n_o, "full": full, "n_c": n_c}
        if len(set(counts.values())) == 5 and inner < n_o:
            return cust, orders, counts


_JOIN_QUESTIONS = [
    ("inner", "SELECT * FROM customers c INNER JOIN orders o ON o.customer_id = c.id;"),
    ("left_c", "SELECT * FROM customers c LEFT JOIN orders o ON o.customer_id = c.id;"),
    ("left_o", "SELECT * FROM orders o LEFT JOIN customers c ON o.customer_id = c.id;"),
    ("inner", "SELECT * FROM orders o INNER JOIN customers c ON o.customer_id = c.id;"),
    ("left_c", "SELECT * FROM customers c LEFT JOIN orders o ON o.customer_id = c.id;"),
    ("full", "SELECT * FROM customers c FULL OUTER JOIN orders o ON o.customer_id = c.id;"),
]
_JOIN_WHY = {
    "inner": "An INNER JOIN keeps only orders whose customer_id matches a customer: {v} rows.",
    "left_c": "A LEFT JOIN from customers keeps every customer: one row per matching order, and "
    "one row with NULL order columns for a customer without orders, {v} rows in all.",
    "left_o": "A LEFT JOIN from orders keeps every order exactly once (customer ids are unique): "
    "{v} rows.",
    "full": "A FULL OUTER JOIN keeps matched pairs, customers without orders and orders without a "
    "customer: {v} rows.",
    "n_c": "",
}
_JOIN_WRONG = {
    "inner": "{v} is the INNER JOIN count, which drops unmatched rows that this join keeps.",
    "left_c": "{v} is the count of a LEFT JOIN from customers (every customer kept).",
    "left_o": "{v} is the number of orders, the count of a LEFT JOIN from orders.",
    "full": "{v} is the FULL OUTER JOIN count, which also keeps unmatched rows of both tables.",
    "n_c": "{v} is the number of customers; a join can repeat a customer once per order.",
}


def model_join_rows(rng: random.Random) -> list[Draft]:
    out = []
    for kind, sql in _JOIN_QUESTIONS:
        cust, orders, counts = _join_tables(rng)
        names = rng.sample(["Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus"], len(cust))
        ctab = md_table(["id", "name"], [[c, nm] for c, nm in zip(cust, names, strict=True)])
        otab = md_table(["order_id", "customer_id"], [[i + 1, o] for i, o in enumerate(orders)])
        stem = (
            f"Table `customers` (ids are unique):\n\n{ctab}\n\nTable `orders`:\n\n{otab}\n\n"
            f"How many rows does this query return?\n\n```sql\n{sql}\n```\n"
        )
        others = [k for k in ("inner", "left_c", "left_o", "full", "n_c") if k != kind]
        # the three most plausible confusions, in a fixed order of preference
        pref = {
            "inner": ["left_c", "left_o", "n_c"],
            "left_c": ["inner", "left_o", "n_c"],
            "left_o": ["inner", "left_c", "full"],
            "full": ["left_c", "inner", "left_o"],
        }[kind]
        assert set(pref) <= set(others)
        wrong = [(str(counts[k]), _JOIN_WRONG[k].format(v=counts[k])) for k in pref]
        why = _JOIN_WHY[kind].format(v=counts[kind])
        out.append(
            Draft(
                "DA2",
                "apply",
                stem,
                str(counts[kind]),
                why,
                wrong,
                order="numeric",
                model="join_rows",
                params={"customers": cust, "orders": orders, "sql": sql},
            )
        )
    return out


def check_join_rows(p: dict) -> str:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("CREATE TABLE orders (order_id INTEGER, customer_id INTEGER)")
    con.executemany("INSERT INTO customers VALUES (?, ?)", [(c, f"n{c}") for c in p["customers"]])
    con.executemany(
        "INSERT INTO orders VALUES (?, ?)", [(i + 1, o) for i, o in enumerate(p["orders"])]
    )
    rows = con.execute(p["sql"]).fetchall()
    con.close()
    return str(len(rows))


_MINMAX_CONTEXTS = [
    ("delivery times", "minutes", 12, 96),
    ("monthly spend", "euros", 40, 540),
    ("session lengths", "seconds", 30, 630),
    ("basket sizes", "items", 1, 41),
]


def model_minmax(rng: random.Random) -> list[Draft]:
    out = []
    for what, unit, lo, hi in _MINMAX_CONTEXTS:
        while True:
            x = rng.randint(lo + 1, hi - 1)
            key = (x - lo) / (hi - lo)
            vals = [key, x / hi, (x - lo) / hi, (hi - x) / (hi - lo)]
            if len({fmt(v) for v in vals}) == 4 and 0.15 < key < 0.85:
                break
        stem = (
            f"A column of {what} ranges from {lo} to {hi} {unit}. After **min-max "
            f"normalization** to [0, 1], what is the value of a record with {x} {unit}?\n"
        )
        why = f"(x − min) / (max − min) = ({x} − {lo}) / ({hi} − {lo}) = {fmt(key)}."
        wrong = [
            (fmt(x / hi), f"{x} / {hi} divides by the maximum without subtracting the minimum."),
            (
                fmt((x - lo) / hi),
                "This subtracts the minimum but divides by the maximum instead of the range.",
            ),
            (
                fmt((hi - x) / (hi - lo)),
                "This measures the distance from the maximum, reversing the scale.",
            ),
        ]
        out.append(
            _numeric(
                "DA2", "apply", stem, fmt(key), why, wrong, "minmax", {"x": x, "lo": lo, "hi": hi}
            )
        )
    return out


def check_minmax(p: dict) -> str:
    arr = np.array([p["lo"], p["x"], p["hi"]], dtype=float)
    return fmt(float(((arr - arr.min()) / np.ptp(arr))[1]))


_EMAIL_NAMES = ["ana.lopez", "ben.k", "chen.wu", "dara.m", "eli.r", "fay.o", "gus.t"]


def model_dedupe(rng: random.Random) -> list[Draft]:
    out = []
    for _ in range(3):
        while True:
            people = rng.sample(_EMAIL_NAMES, rng.randint(4, 5))
            rows = []
            for p in people:
                for _ in range(rng.choice([1, 1, 2, 3])):
                    v = rng.choice(["plain", "plain", "upper", "space"])
                    e = f"{p}@example.com"
                    if v == "upper":
                        e = e.capitalize()
                    elif v == "space":
                        e = e + " "
                    rows.append(e)
            rng.shuffle(rows)
            n = len(rows)
            exact = len(set(rows))
            norm = len({r.strip().lower() for r in rows})
            strip_only = len({r.strip() for r in rows})
            vals = [norm, exact, n, strip_only]
            if len(set(vals)) == 4 and 7 <= n <= 10:
                break
        shown = [[i + 1, f"`{e}`"] for i, e in enumerate(rows)]
        stem = (
            "A sign-up table lists these email addresses (backticks show the exact text, "
            "including any trailing space):\n\n"
            + md_table(["row", "email"], shown)
            + "\n\nHow many **different customers** are there if emails are compared after "
            "trimming spaces and ignoring letter case?\n"
        )
        why = (
            f"After trimming and lower-casing, the {n} emails reduce to {norm} distinct addresses."
        )
        wrong = [
            (
                str(exact),
                "This removes only exact duplicates, so case and space variants of the "
                "same address are still counted separately.",
            ),
            (str(n), "This counts every row, ignoring duplicates altogether."),
            (
                str(strip_only),
                "This trims spaces but still treats upper- and lower-case variants as different.",
            ),
        ]
        out.append(
            _numeric("DA2", "apply", stem, str(norm), why, wrong, "dedupe", {"emails": rows})
        )
    return out


def check_dedupe(p: dict) -> str:
    return str(len({e.strip().casefold() for e in p["emails"]}))


# ---------------------------------------------------------------------------------------------
# DA3 Descriptive statistics
# ---------------------------------------------------------------------------------------------
_MEDIAN_CONTEXTS = [
    ("daily sales (units) of a small shop", 8),
    ("commute times (minutes) of employees", 7),
    ("minutes of exercise per day reported by students", 8),
    ("ages of volunteers at an event", 9),
]


def model_median(rng: random.Random) -> list[Draft]:
    out = []
    for context, n in _MEDIAN_CONTEXTS:
        while True:
            xs = [rng.randint(3, 60) for _ in range(n)]
            s = sorted(xs)
            if n % 2:
                key = Fraction(s[n // 2])
                unsorted_mid = Fraction(xs[n // 2])
                third = Fraction(s[n // 2 - 1])
                third_why = "This is the value just below the middle of the sorted list."
            else:
                key = Fraction(s[n // 2 - 1] + s[n // 2], 2)
                unsorted_mid = Fraction(xs[n // 2 - 1] + xs[n // 2], 2)
                third = Fraction(s[n // 2 - 1])
                third_why = (
                    "With an even number of values the median is the average of the two "
                    "middle values, not the lower one."
                )
            mean = Fraction(sum(xs), n)
            vals = [key, unsorted_mid, third, mean]
            if len({fmt(float(v), 1) for v in vals}) == 4 and xs != s:
                break
        stem = f"The {context} are: {', '.join(map(str, xs))}. What is the **median**?\n"
        why = f"Sorted: {', '.join(map(str, s))}. " + (
            f"The middle ({n // 2 + 1}th) value is {fmt(float(key), 1)}."
            if n % 2
            else f"The two middle values are {s[n // 2 - 1]} and {s[n // 2]}; their average is "
            f"{fmt(float(key), 1)}."
        )
        wrong = [
            (
                fmt(float(unsorted_mid), 1),
                "This takes the middle of the list as given, without sorting it first.",
            ),
            (fmt(float(third), 1), third_why),
            (fmt(float(mean), 1), "This is the mean, not the median."),
        ]
        out.append(
            _numeric("DA3", "apply", stem, fmt(float(key), 1), why, wrong, "median", {"xs": xs})
        )
    return out


def check_median(p: dict) -> str:
    return fmt(float(np.median(p["xs"])), 1)


def model_mean(rng: random.Random) -> list[Draft]:
    out = []
    for context in ["scores of students on a 20-point quiz", "numbers of calls per hour"]:
        while True:
            n = rng.choice([6, 8])
            xs = [rng.randint(2, 20) for _ in range(n)]
            mean = Fraction(sum(xs), n)
            med = Fraction(statistics.median(xs))
            nm1 = Fraction(sum(xs), n - 1)
            mid = Fraction(min(xs) + max(xs), 2)
            if len({fmt(float(v), 2) for v in (mean, med, nm1, mid)}) == 4:
                break
        stem = f"The {context} are: {', '.join(map(str, xs))}. What is the **mean**?\n"
        why = (
            f"The sum is {sum(xs)} and there are {n} values: {sum(xs)} / {n} = {fmt(float(mean))}."
        )
        wrong = [
            (fmt(float(med)), "This is the median."),
            (fmt(float(nm1)), f"This divides the sum by n − 1 = {n - 1}; the mean divides by n."),
            (fmt(float(mid)), "This is the midrange, (minimum + maximum) / 2."),
        ]
        out.append(_numeric("DA3", "apply", stem, fmt(float(mean)), why, wrong, "mean", {"xs": xs}))
    return out


def check_mean(p: dict) -> str:
    return fmt(statistics.fmean(p["xs"]))


def model_sd(rng: random.Random) -> list[Draft]:
    out = []
    setups = [
        (
            "sample",
            "A quality engineer counts the defects on 5 randomly chosen circuit boards from a "
            "day's production",
        ),
        (
            "sample",
            "A researcher records the typing errors made by 6 randomly selected participants",
        ),
        (
            "population",
            "A company has exactly 5 branches; their monthly complaints (the whole "
            "population of interest) are",
        ),
        (
            "population",
            "A team has exactly 6 members; the numbers of tasks each completed last "
            "week (the entire team) are",
        ),
    ]
    for (kind, context), n in zip(setups, [5, 6, 5, 6], strict=True):
        while True:
            xs = [rng.randint(2, 24) for _ in range(n)]
            m = sum(xs) / n
            ss = sum((x - m) ** 2 for x in xs)
            s_samp = math.sqrt(ss / (n - 1))
            s_pop = math.sqrt(ss / n)
            var = ss / (n - 1) if kind == "sample" else ss / n
            mad = sum(abs(x - m) for x in xs) / n
            vals = [s_samp, s_pop, var, mad]
            if len({fmt(v) for v in vals}) == 4 and ss > 20 and float(m).is_integer():
                break
        key = s_samp if kind == "sample" else s_pop
        other = s_pop if kind == "sample" else s_samp
        which = "sample" if kind == "sample" else "population"
        stem = (
            f"{context}: {', '.join(map(str, xs))}. What is the appropriate **standard "
            f"deviation** of these values?\n"
        )
        if kind == "sample":
            why = (
                f"The data are a sample, so divide the sum of squared deviations from the mean "
                f"({fmt(m, 0)}), {fmt(ss, 0)}, by n − 1 = {n - 1} and take the square root: "
                f"{fmt(key)}."
            )
            other_why = "This divides by n; with a sample, divide by n − 1."
        else:
            why = (
                f"The values are the whole population, so divide the sum of squared deviations "
                f"from the mean ({fmt(m, 0)}), {fmt(ss, 0)}, by N = {n} and take the square "
                f"root: {fmt(key)}."
            )
            other_why = (
                "This divides by n − 1, the sample formula; these values are the population."
            )
        wrong = [
            (fmt(other), other_why),
            (fmt(var), f"This is the {which} variance; the standard deviation is its square root."),
            (fmt(mad), "This is the mean absolute deviation, not the standard deviation."),
        ]
        out.append(
            _numeric(
                "DA3",
                "apply",
                stem,
                fmt(key),
                why,
                wrong,
                "standard_deviation",
                {"xs": xs, "kind": kind},
            )
        )
    return out


def check_standard_deviation(p: dict) -> str:
    f = statistics.stdev if p["kind"] == "sample" else statistics.pstdev
    return fmt(f(p["xs"]))


_Z_CONTEXTS = [
    ("An exam has mean {m} and standard deviation {s}. A student scored {x}.", 50, 90, 4, 12),
    (
        "Adult heights in a sample have mean {m} cm and standard deviation {s} cm. A person is {x} "
        "cm tall.",
        160,
        180,
        5,
        9,
    ),
    (
        "Monthly sales per store average {m} units with standard deviation {s}. One store sold {x} "
        "units.",
        300,
        600,
        20,
        60,
    ),
    (
        "Delivery times average {m} minutes with standard deviation {s}. An order took {x} "
        "minutes.",
        30,
        50,
        4,
        10,
    ),
]


def model_z_score(rng: random.Random) -> list[Draft]:
    out = []
    for template, mlo, mhi, slo, shi in _Z_CONTEXTS:
        while True:
            m = rng.randint(mlo, mhi)
            s = rng.randint(slo, shi)
            x = m + rng.choice([-1, 1]) * rng.randint(1, 3 * s)
            z = (x - m) / s
            vals = [z, -z, (x - m) / s**2, float(x - m)]
            if len({fmt(v) for v in vals}) == 4 and abs(z) >= 0.3:
                break
        stem = template.format(m=m, s=s, x=x) + " What is the **z-score** of this value?\n"
        why = f"z = (x − mean) / SD = ({x} − {m}) / {s} = {fmt(z)}."
        wrong = [
            (fmt(-z), "This subtracts in the wrong order (mean − x), flipping the sign."),
            (
                fmt((x - m) / s**2),
                "This divides by the variance instead of the standard deviation.",
            ),
            (fmt(float(x - m)), "This is the raw difference from the mean, not standardized."),
        ]
        out.append(
            _numeric("DA3", "apply", stem, fmt(z), why, wrong, "z_score", {"x": x, "m": m, "s": s})
        )
    return out


def check_z_score(p: dict) -> str:
    return fmt(float(np.divide(np.subtract(p["x"], p["m"]), p["s"])))


def _tukey_quartiles(xs: list[int]) -> tuple[float, float]:
    s = sorted(xs)
    h = len(s) // 2
    lower, upper = s[:h], s[h + len(s) % 2 :]
    return statistics.median(lower), statistics.median(upper)


def model_iqr(rng: random.Random) -> list[Draft]:
    out = []
    for context in [
        "waiting times (minutes) at a clinic",
        "numbers of emails received per day",
        "prices (euros) of 8 similar products",
    ]:
        while True:
            xs = [rng.randint(1, 60) for _ in range(8)]
            s = sorted(xs)
            q1, q3 = _tukey_quartiles(xs)
            key = q3 - q1
            u1 = statistics.median(xs[:4])
            u3 = statistics.median(xs[4:])
            unsorted_iqr = u3 - u1
            rng_ = s[-1] - s[0]
            pos = s[5] - s[1]
            vals = [key, unsorted_iqr, rng_, pos]
            if len({fmt(v, 1) for v in vals}) == 4 and xs != s and unsorted_iqr > 0:
                break
        stem = (
            f"The {context} are: {', '.join(map(str, xs))}. Using the quartiles as the "
            "medians of the lower and upper halves of the data, what is the **interquartile "
            "range (IQR)**?\n"
        )
        why = (
            f"Sorted: {', '.join(map(str, s))}. Q1 = median of {s[:4]} = {fmt(q1, 1)}, Q3 = "
            f"median of {s[4:]} = {fmt(q3, 1)}, so IQR = Q3 − Q1 = {fmt(key, 1)}."
        )
        wrong = [
            (fmt(unsorted_iqr, 1), "This takes the halves of the list as given, without sorting."),
            (fmt(rng_, 1), "This is the range (maximum − minimum)."),
            (
                fmt(pos, 1),
                "This uses single values at positions 2 and 6 instead of the medians of "
                "the halves.",
            ),
        ]
        out.append(_numeric("DA3", "apply", stem, fmt(key, 1), why, wrong, "iqr", {"xs": xs}))
    return out


def check_iqr(p: dict) -> str:
    s = np.sort(p["xs"])
    half = len(s) // 2
    return fmt(float(np.median(s[-half:]) - np.median(s[:half])), 1)


def model_combined_mean(rng: random.Random) -> list[Draft]:
    out = []
    for groups in (
        ["morning", "evening"],
        ["Store A", "Store B", "Store C"],
        ["junior staff", "senior staff"],
    ):
        while True:
            sizes = [rng.randrange(10, 200, 5) for _ in groups]
            means = [rng.randint(20, 90) for _ in groups]
            key = sum(n * m for n, m in zip(sizes, means, strict=True)) / sum(sizes)
            simple = sum(means) / len(means)
            rev = sum(n * m for n, m in zip(reversed(sizes), means, strict=True)) / sum(sizes)
            med = statistics.median(means) if len(means) == 3 else max(means)
            vals = [key, simple, rev, med]
            if len({fmt(v, 1) for v in vals}) == 4 and abs(key - simple) > 1:
                break
        parts = "; ".join(
            f"{g}: {n} people, mean {m}" for g, n, m in zip(groups, sizes, means, strict=True)
        )
        stem = (
            f"A satisfaction score (0-100) was averaged by group — {parts}. What is the mean "
            "score of **all** people combined?\n"
        )
        total = sum(n * m for n, m in zip(sizes, means, strict=True))
        why = f"Weight each group mean by its size: {fmt(total, 0)} / {sum(sizes)} = {fmt(key, 1)}."
        third = (
            "This is the largest group mean."
            if len(means) == 2
            else "This is the median of the group means."
        )
        wrong = [
            (fmt(simple, 1), "This averages the group means without weighting by group size."),
            (fmt(rev, 1), "This weights each mean by the other group's size."),
            (fmt(med, 1), third),
        ]
        out.append(
            _numeric(
                "DA3",
                "apply",
                stem,
                fmt(key, 1),
                why,
                wrong,
                "combined_mean",
                {"sizes": sizes, "means": means},
            )
        )
    return out


def check_combined_mean(p: dict) -> str:
    return fmt(float(np.average(p["means"], weights=p["sizes"])), 1)


# kind -> (description, key %, distractors with reasons)
_EMPIRICAL = {
    "within1": (
        "between {lo1} and {hi1}",
        "68%",
        [
            ("95%", "95% lie within two standard deviations, not one."),
            ("34%", "34% lie between the mean and one standard deviation on one side only."),
            ("99.7%", "99.7% lie within three standard deviations."),
        ],
    ),
    "above1": (
        "above {hi1}",
        "16%",
        [
            (
                "34%",
                "34% lie between the mean and one SD above it; above +1 SD is (100% − 68%) / 2.",
            ),
            ("32%", "32% lie outside ±1 SD in both tails together."),
            ("2.5%", "2.5% lie above two standard deviations."),
        ],
    ),
    "above2": (
        "above {hi2}",
        "2.5%",
        [
            ("5%", "5% lie outside ±2 SD in both tails together."),
            ("16%", "16% lie above one standard deviation."),
            ("47.5%", "47.5% lie between the mean and two SD above it."),
        ],
    ),
    "mean_to_2": (
        "between {m} and {hi2}",
        "47.5%",
        [
            ("95%", "95% lie within two SD on both sides of the mean."),
            ("34%", "34% lie between the mean and one SD above it."),
            ("68%", "68% lie within one SD on both sides."),
        ],
    ),
}


def model_empirical_rule(rng: random.Random) -> list[Draft]:
    out = []
    contexts = [
        ("Scores on a standardized test", 500, 100, ""),
        ("Weights of bags of flour", 1000, 8, " g"),
        ("Resting heart rates of adults", 70, 9, " beats per minute"),
    ]
    kinds = ["within1", "above1", "above2", "mean_to_2"]
    rng.shuffle(kinds)
    for (what, m, s, unit), kind in zip(contexts, kinds, strict=False):
        desc, key, wrong = _EMPIRICAL[kind]
        values = {
            "m": f"{m:,}{unit}",
            "lo1": f"{m - s:,}{unit}",
            "hi1": f"{m + s:,}{unit}",
            "hi2": f"{m + 2 * s:,}{unit}",
        }
        stem = (
            f"{what} are approximately normally distributed with mean {m:,}{unit} and "
            f"standard deviation {s:,}{unit}. By the 68-95-99.7 rule, about what percentage of "
            f"values lie {desc.format(**values)}?\n"
        )
        why = {
            "within1": "Within one SD of the mean lie about 68% of values.",
            "above1": "68% lie within ±1 SD, leaving 32% split equally between the two tails: "
            "16% above +1 SD.",
            "above2": "95% lie within ±2 SD, leaving 5% split equally: 2.5% above +2 SD.",
            "mean_to_2": "Half of the 95% within ±2 SD lies on each side of the mean: 47.5%.",
        }[kind]
        out.append(
            _numeric(
                "DA3", "understand", stem, key, why, list(wrong), "empirical_rule", {"kind": kind}
            )
        )
    return out


def check_empirical_rule(p: dict) -> str:
    # normal areas from the error function, rounded to the rule's conventional values
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    area = {
        "within1": phi(1) - phi(-1),
        "above1": 1 - phi(1),
        "above2": 1 - phi(2),
        "mean_to_2": phi(2) - 0.5,
    }[p["kind"]]
    conventional = {68.0: "68%", 16.0: "16%", 2.5: "2.5%", 47.5: "47.5%"}
    best = min(conventional, key=lambda v: abs(v - 100 * area))
    if abs(best - 100 * area) > 0.7:
        raise AssertionError(f"empirical rule: area {area} far from {best}")
    return conventional[best]


# ---------------------------------------------------------------------------------------------
# DA4 Data visualization
# ---------------------------------------------------------------------------------------------
def model_truncated_axis(rng: random.Random) -> list[Draft]:
    out = []
    for what in [
        "monthly subscribers of two apps",
        "average test scores of two schools",
        "annual revenue (in millions) of two branches",
    ]:
        while True:
            base = rng.randrange(40, 900, 10)
            d1 = rng.randrange(5, 40, 5)
            k = rng.choice([3, 4, 5])
            v1, v2 = base + d1, base + k * d1
            actual = v2 / v1
            if actual < 1.35 and len({fmt(v) for v in (k, k - 1, actual)}) == 3:
                break
        stem = (
            f"A bar chart compares the {what}: A = {v1:,} and B = {v2:,}. The vertical axis "
            f"starts at {base:,} instead of 0. B's bar **appears** how many times as tall as "
            "A's bar?\n"
        )
        why = (
            f"The visible bars have lengths {v2:,} − {base:,} = {v2 - base:,} and {v1:,} − "
            f"{base:,} = {v1 - base:,}, a ratio of {k}, although B is only {fmt(actual)} times A."
        )
        wrong = [
            (
                fmt(actual),
                "This is the true ratio of the values, which a zero-based axis would "
                "show; the truncated axis exaggerates it.",
            ),
            (
                fmt(float(k - 1)),
                "This is the visible difference between the bars divided by A's "
                "visible length (how much longer B looks), not the ratio of the lengths.",
            ),
        ]
        out.append(
            _numeric(
                "DA4",
                "analyze",
                stem,
                fmt(float(k)),
                why,
                wrong,
                "truncated_axis",
                {"base": base, "v1": v1, "v2": v2},
            )
        )
    return out


def check_truncated_axis(p: dict) -> str:
    return fmt((p["v2"] - p["base"]) / (p["v1"] - p["base"]))


def model_pie_angle(rng: random.Random) -> list[Draft]:
    out = []
    for what in [
        "mobile users among all visitors",
        "orders paid by card",
        "the marketing budget spent on search ads",
    ]:
        while True:
            p = rng.choice([5, 10, 15, 20, 30, 35, 40, 45, 55, 60, 65, 70])
            vals = [3.6 * p, p, 1.8 * p, 360 - 3.6 * p]
            if len({fmt(v, 0) for v in vals}) == 4:
                break
        stem = (
            f"In a pie chart, the slice for {what} represents {p}% of the total. What is the "
            "angle of this slice?\n"
        )
        why = f"A full circle is 360°, so the slice spans {p}% × 360° = {fmt(3.6 * p, 0)}°."
        wrong = [
            (f"{fmt(float(p), 0)}°", "This reads the percentage directly as degrees."),
            (f"{fmt(1.8 * p, 0)}°", "This uses a half circle (180°) as the whole."),
            (f"{fmt(360 - 3.6 * p, 0)}°", "This is the angle of the rest of the pie."),
        ]
        out.append(
            _numeric("DA4", "apply", stem, f"{fmt(3.6 * p, 0)}°", why, wrong, "pie_angle", {"p": p})
        )
    return out


def check_pie_angle(p: dict) -> str:
    return f"{fmt(float(Fraction(p['p'], 100) * 360), 0)}°"


def model_stacked_share(rng: random.Random) -> list[Draft]:
    out = []
    for labels in (["Phone", "Email", "Chat"], ["Basic", "Plus", "Pro"], ["Bus", "Car", "Bicycle"]):
        while True:
            b1 = rng.randrange(10, 60, 5)
            b2 = rng.randrange(b1 + 10, 95, 5)
            key = b2 - b1
            vals = [key, b2, b1, 100 - b2]
            if len(set(vals)) == 4:
                break
        stem = (
            f"A 100% stacked bar shows three segments from left to right: {labels[0]}, "
            f"{labels[1]} and {labels[2]}. The boundary between {labels[0]} and {labels[1]} is "
            f"at the {b1}% gridline and the boundary between {labels[1]} and {labels[2]} is at "
            f"the {b2}% gridline. What share does **{labels[1]}** have?\n"
        )
        why = f"A segment's share is its length: {b2}% − {b1}% = {key}%."
        wrong = [
            (f"{b2}%", "This reads the segment's right edge, which is a cumulative share."),
            (f"{b1}%", f"This is {labels[0]}'s share (the left boundary)."),
            (f"{100 - b2}%", f"This is {labels[2]}'s share."),
        ]
        out.append(
            _numeric(
                "DA4",
                "understand",
                stem,
                f"{key}%",
                why,
                wrong,
                "stacked_share",
                {"b1": b1, "b2": b2},
            )
        )
    return out


def check_stacked_share(p: dict) -> str:
    return f"{int(np.diff([0, p['b1'], p['b2'], 100])[1])}%"


def model_histogram_count(rng: random.Random) -> list[Draft]:
    out = []
    for what in ["order values (euros)", "ages of survey respondents", "exam scores"]:
        while True:
            w = rng.choice([10, 20])
            start = rng.choice([0, 20, 40])
            xs = [rng.randrange(start, start + 4 * w) for _ in range(12)]
            xs += [start + w * rng.randint(1, 3) for _ in range(2)]  # values on bin edges
            rng.shuffle(xs)
            j = rng.randint(1, 2)
            lo, hi = start + j * w, start + (j + 1) * w
            key = sum(lo <= x < hi for x in xs)
            right = sum(lo < x <= hi for x in xs)
            closed = sum(lo <= x <= hi for x in xs)
            prev = sum(lo - w <= x < lo for x in xs)
            vals = [key, right, closed, prev]
            if len(set(vals)) == 4:
                break
        stem = (
            f"A histogram of {what} uses bins of width {w} starting at {start}; each bin "
            f"includes its left edge and excludes its right edge. The values are "
            f"{', '.join(map(str, xs))}. What is the height (count) of the bin [{lo}, {hi})?\n"
        )
        why = f"Count the values with {lo} ≤ x < {hi}: there are {key}."
        wrong = [
            (str(right), f"This counts {lo} < x ≤ {hi}, the opposite edge convention."),
            (
                str(closed),
                "This includes both edges, counting a value on the right edge twice across bins.",
            ),
            (str(prev), f"This is the count of the previous bin [{lo - w}, {lo})."),
        ]
        out.append(
            _numeric(
                "DA4",
                "apply",
                stem,
                str(key),
                why,
                wrong,
                "histogram_count",
                {"xs": xs, "start": start, "w": w, "j": j},
            )
        )
    return out


def check_histogram_count(p: dict) -> str:
    edges = [p["start"] + k * p["w"] for k in range(6)]
    counts, _ = np.histogram(p["xs"], bins=edges)
    return str(int(counts[p["j"]]))


def model_log_axis(rng: random.Random) -> list[Draft]:
    out = []
    for lo_exp, what in [(1, "the number of users of an app"), (2, "a company's revenue (euros)")]:
        lo, hi = 10**lo_exp, 10 ** (lo_exp + 2)
        key = 10 ** (lo_exp + 1)
        stem = (
            f"A chart of {what} uses a **logarithmic** vertical axis with gridlines at "
            f"{lo:,} and {hi:,} only. A point lies exactly halfway between these two "
            "gridlines. What value does it show?\n"
        )
        why = (
            f"On a log axis equal distances are equal ratios: halfway between {lo:,} and "
            f"{hi:,} is √({lo:,} × {hi:,}) = {key:,}."
        )
        wrong = [
            (
                f"{(lo + hi) // 2:,}",
                "This is the arithmetic midpoint, which applies to linear axes.",
            ),
            (f"{hi // 2:,}", "This halves the upper value, as if the axis were linear from 0."),
        ]
        out.append(
            _numeric(
                "DA4", "understand", stem, f"{key:,}", why, wrong, "log_axis", {"lo": lo, "hi": hi}
            )
        )
    return out


def check_log_axis(p: dict) -> str:
    return f"{round(10 ** ((math.log10(p['lo']) + math.log10(p['hi'])) / 2)):,}"


# ---------------------------------------------------------------------------------------------
# DA5 Probability and inference
# ---------------------------------------------------------------------------------------------
def model_independent_and(rng: random.Random) -> list[Draft]:
    out = []
    contexts = [
        ("a customer opens a promotional email", "a different, unrelated customer opens it"),
        (
            "server A is down on a given day",
            "server B, in another data center, is down on the same day",
        ),
        ("a shipment from supplier X is late", "a shipment from supplier Y is late"),
    ]
    for a, b in contexts:
        while True:
            p1 = rng.choice([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
            p2 = rng.choice([0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5])
            key = p1 * p2
            vals = [key, p1 + p2, p1 + p2 - key, (p1 + p2) / 2]
            if len({fmt(v, 3) for v in vals}) == 4 and p1 + p2 < 1:
                break
        stem = (
            f"The probability that {a} is {fmt(p1)}, and the probability that {b} is "
            f"{fmt(p2)}. The events are independent. What is the probability that **both** "
            "happen?\n"
        )
        why = (
            f"For independent events P(A and B) = P(A) × P(B) = {fmt(p1)} × {fmt(p2)} = "
            f"{fmt(key, 3)}."
        )
        wrong = [
            (
                fmt(p1 + p2, 3),
                "Adding the probabilities gives P(A or B) for mutually exclusive "
                "events, not P(A and B).",
            ),
            (fmt(p1 + p2 - key, 3), "This is P(A or B) for independent events."),
            (
                fmt((p1 + p2) / 2, 3),
                "Averaging the probabilities has no probabilistic meaning here.",
            ),
        ]
        out.append(
            _numeric(
                "DA5",
                "apply",
                stem,
                fmt(key, 3),
                why,
                wrong,
                "independent_and",
                {"p1": p1, "p2": p2},
            )
        )
    return out


def check_independent_and(p: dict) -> str:
    return fmt(float(Fraction(str(p["p1"])) * Fraction(str(p["p2"]))), 3)


def model_at_least_one(rng: random.Random) -> list[Draft]:
    out = []
    contexts = ["a web request fails", "a delivery is delayed", "a sensor gives a false alarm"]
    for what in contexts:
        while True:
            p = rng.choice([0.05, 0.1, 0.15, 0.2])
            k = rng.choice([3, 4, 5])
            key = 1 - (1 - p) ** k
            vals = [key, k * p, (1 - p) ** k, k * p * (1 - p) ** (k - 1)]
            if len({fmt(v, 3) for v in vals}) == 4 and k * p < 1:
                break
        stem = (
            f"Each time, the probability that {what} is {fmt(p)}, independently of other "
            f"times. Over {k} independent occasions, what is the probability that it happens "
            "**at least once**?\n"
        )
        why = (
            f"Use the complement: P(never) = (1 − {fmt(p)})^{k} = {fmt((1 - p) ** k, 3)}, so "
            f"P(at least once) = 1 − {fmt((1 - p) ** k, 3)} = {fmt(key, 3)}."
        )
        wrong = [
            (
                fmt(k * p, 3),
                f"{k} × {fmt(p)} adds the probabilities, double-counting occasions "
                "on which it happens more than once.",
            ),
            (
                fmt((1 - p) ** k, 3),
                "This is the probability that it never happens; subtract it from 1.",
            ),
            (
                fmt(k * p * (1 - p) ** (k - 1), 3),
                "This is the probability that it happens exactly once, not at least once.",
            ),
        ]
        out.append(
            _numeric(
                "DA5", "apply", stem, fmt(key, 3), why, wrong, "at_least_one", {"p": p, "k": k}
            )
        )
    return out


def check_at_least_one(p: dict) -> str:
    q = 1 - Fraction(str(p["p"]))
    return fmt(float(1 - q ** p["k"]), 3)


def model_conditional(rng: random.Random) -> list[Draft]:
    out = []
    setups = [
        (
            "Mobile",
            "Desktop",
            "Purchased",
            "Did not purchase",
            "visitors",
            "a visitor used mobile",
            "purchased",
        ),
        (
            "Trial users",
            "Paid users",
            "Churned",
            "Stayed",
            "customers",
            "a customer is a trial user",
            "churned",
        ),
        (
            "New",
            "Returning",
            "Complained",
            "No complaint",
            "customers",
            "a customer is new",
            "complained",
        ),
        ("Ad seen", "No ad", "Clicked", "Did not click", "users", "a user saw the ad", "clicked"),
    ]
    for r1, r2, c1, c2, unit, given, event in setups:
        while True:
            t = [[rng.randrange(10, 150, 5) for _ in range(2)] for _ in range(2)]
            n = sum(map(sum, t))
            row1 = sum(t[0])
            col1 = t[0][0] + t[1][0]
            key = t[0][0] / row1
            vals = [key, t[0][0] / n, t[0][0] / col1, col1 / n]
            if len({fmt(v) for v in vals}) == 4:
                break
        table = md_table(
            ["", c1, c2, "Total"],
            [
                [r1, t[0][0], t[0][1], row1],
                [r2, t[1][0], t[1][1], sum(t[1])],
                ["Total", col1, t[0][1] + t[1][1], n],
            ],
        )
        stem = (
            f"The table classifies {n} {unit}.\n\n{table}\n\nIf {given}, what is the "
            f"probability that they {event}? (Round to two decimals.)\n"
        )
        why = f"Restrict to the {r1} row: {t[0][0]} / {row1} = {fmt(key)}."
        wrong = [
            (fmt(t[0][0] / n), f"{t[0][0]} / {n} is the joint probability P({r1} and {c1})."),
            (fmt(t[0][0] / col1), f"{t[0][0]} / {col1} is the reverse conditional P({r1} | {c1})."),
            (
                fmt(col1 / n),
                f"{col1} / {n} is the overall probability of {c1}, ignoring the condition.",
            ),
        ]
        out.append(
            _numeric("DA5", "apply", stem, fmt(key), why, wrong, "conditional", {"table": t})
        )
    return out


def check_conditional(p: dict) -> str:
    t = np.asarray(p["table"], dtype=float)
    return fmt(float(t[0, 0] / t[0].sum()))


def model_standard_error(rng: random.Random) -> list[Draft]:
    out = []
    for what, unit in [
        ("basket values", " euros"),
        ("call durations", " seconds"),
        ("daily step counts", " steps"),
    ]:
        while True:
            n = rng.choice([16, 25, 36, 49, 64, 100, 144])
            s = rng.randrange(6, 120, 2)
            key = s / math.sqrt(n)
            vals = [key, s / n, s * s / n, float(s)]
            if len({fmt(v) for v in vals}) == 4:
                break
        stem = (
            f"A random sample of {n} {what} has a standard deviation of {s}{unit}. What is the "
            "**standard error** of the sample mean?\n"
        )
        why = f"SE = s / √n = {s} / √{n} = {s} / {math.isqrt(n)} = {fmt(key)}."
        wrong = [
            (fmt(s / n), "This divides by n instead of √n."),
            (fmt(s * s / n), "This is s² / n, the squared standard error (variance of the mean)."),
            (
                fmt(float(s)),
                "This is the standard deviation of individual values, not of the mean.",
            ),
        ]
        out.append(
            _numeric("DA5", "apply", stem, fmt(key), why, wrong, "standard_error", {"s": s, "n": n})
        )
    return out


def check_standard_error(p: dict) -> str:
    return fmt(p["s"] / np.sqrt(p["n"]))


def model_confidence_interval(rng: random.Random) -> list[Draft]:
    out = []
    for what, unit in [
        ("delivery time", "minutes"),
        ("order value", "euros"),
        ("daily screen time", "minutes"),
    ]:
        n = rng.choice([64, 100, 144, 400])
        s = rng.randrange(8, 60, 2)
        m = rng.randint(30, 200)
        se = s / math.sqrt(n)

        def iv(h: float, m=m) -> str:
            return f"{fmt(m - h, 1)} to {fmt(m + h, 1)}"

        stem = (
            f"A random sample of {n} customers has a mean {what} of {m} {unit} and a standard "
            f"deviation of {s} {unit}. Using z = 1.96, what is the approximate **95% confidence "
            "interval** for the population mean?\n"
        )
        why = (
            f"SE = {s} / √{n} = {fmt(se, 2)}; margin = 1.96 × {fmt(se, 2)} = "
            f"{fmt(1.96 * se, 2)}; the interval is {m} ± {fmt(1.96 * se, 2)}."
        )
        wrong = [
            (
                iv(1.96 * s),
                "This uses the standard deviation instead of the standard error, "
                "giving a range for individual customers, not for the mean.",
            ),
            (iv(1.645 * se), "1.645 is the z value for 90% confidence."),
            (iv(se), "This is the mean ± one standard error, about a 68% interval."),
        ]
        out.append(
            _numeric(
                "DA5",
                "apply",
                stem,
                iv(1.96 * se),
                why,
                wrong,
                "confidence_interval",
                {"m": m, "s": s, "n": n},
            )
        )
    return out


def check_confidence_interval(p: dict) -> str:
    h = 1.96 * p["s"] / math.sqrt(p["n"])
    return f"{fmt(p['m'] - h, 1)} to {fmt(p['m'] + h, 1)}"


def model_expected_value(rng: random.Random) -> list[Draft]:
    out = []
    for what in ["a scratch card", "a promotional spin-the-wheel game"]:
        while True:
            prizes = [0, *sorted(rng.sample([1, 2, 5, 10, 20, 50], 2))]
            small = sorted(rng.sample([0.05, 0.1, 0.15, 0.2, 0.25], 2), reverse=True)
            probs = [round(1 - sum(small), 2), *small]
            key = sum(x * q for x, q in zip(prizes, probs, strict=True))
            vals = [key, sum(prizes) / 3, prizes[2] * probs[2], sum(prizes[1:]) / 2]
            if len({fmt(v) for v in vals}) == 4:
                break
        listing = "; ".join(
            f"{x} euros with probability {fmt(q)}" for x, q in zip(prizes, probs, strict=True)
        )
        stem = f"The payout of {what} is: {listing}. What is the **expected** payout in euros?\n"
        why = (
            "E[X] = Σ x·P(x) = "
            + " + ".join(f"{x} × {fmt(q)}" for x, q in zip(prizes, probs, strict=True))
            + f" = {fmt(key)} euros."
        )
        wrong = [
            (fmt(sum(prizes) / 3), "This averages the payouts without weighting by probability."),
            (fmt(prizes[2] * probs[2]), "This counts only the top prize."),
            (
                fmt(sum(prizes[1:]) / 2),
                "This averages the non-zero payouts, ignoring the probabilities.",
            ),
        ]
        out.append(
            _numeric(
                "DA5",
                "apply",
                stem,
                fmt(key),
                why,
                wrong,
                "expected_value",
                {"prizes": prizes, "probs": probs},
            )
        )
    return out


def check_expected_value(p: dict) -> str:
    return fmt(float(np.dot(p["prizes"], p["probs"])))


def model_binomial(rng: random.Random) -> list[Draft]:
    out = []
    for what, n, k, p in [
        ("a coin lands heads", 4, 2, 0.5),
        ("a customer redeems a coupon", 5, 2, 0.2),
    ]:
        key = math.comb(n, k) * p**k * (1 - p) ** (n - k)
        no_comb = p**k * (1 - p) ** (n - k)
        wrong = [
            (
                fmt(no_comb, 4),
                f"This is the probability of one particular order; it omits the "
                f"C({n},{k}) = {math.comb(n, k)} orders.",
            ),
            (fmt(p**k, 4), "This ignores the trials that must not succeed."),
            (fmt(k / n, 4), f"{k}/{n} is the observed proportion, not a probability."),
        ]
        stem = (
            f"The probability that {what} is {fmt(p, 1)}, independently each time. In {n} "
            f"trials, what is the probability of **exactly {k}** successes?\n"
        )
        why = (
            f"Binomial: C({n},{k}) × {fmt(p, 1)}^{k} × {fmt(1 - p, 1)}^{n - k} = "
            f"{math.comb(n, k)} × {fmt(no_comb, 4)} = {fmt(key, 4)}."
        )
        out.append(
            _numeric(
                "DA5", "apply", stem, fmt(key, 4), why, wrong, "binomial", {"n": n, "k": k, "p": p}
            )
        )
    return out


def check_binomial(p: dict) -> str:
    # independent: enumerate all outcomes
    from itertools import product

    total = Fraction(0)
    q = Fraction(str(p["p"]))
    for seq in product([0, 1], repeat=p["n"]):
        if sum(seq) == p["k"]:
            term = Fraction(1)
            for s in seq:
                term *= q if s else 1 - q
            total += term
    return fmt(float(total), 4)


# ---------------------------------------------------------------------------------------------
# DA6 Querying data
# ---------------------------------------------------------------------------------------------
_SALES_COLS = ["id", "region", "product", "amount"]


def _sales_table(rng: random.Random, n: int = 8) -> list[list]:
    return [
        [
            i + 1,
            rng.choice(["North", "South", "East"]),
            rng.choice(["A", "B", "C"]),
            rng.randrange(20, 300, 10),
        ]
        for i in range(n)
    ]


def _sqlite(
    rows: list[list], sql: str, cols: list[str] = _SALES_COLS, table: str = "sales"
) -> list[tuple]:
    con = sqlite3.connect(":memory:")
    con.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
    con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})", rows)
    res = con.execute(sql).fetchall()
    con.close()
    return res


def model_sql_where(rng: random.Random) -> list[Draft]:
    out = []
    templates = [
        (
            "SELECT COUNT(*) FROM sales WHERE region = '{r}' OR product = '{p}' AND amount > {a};",
            lambda t, r, p, a: sum(x[1] == r or (x[2] == p and x[3] > a) for x in t),
            [
                (
                    lambda t, r, p, a: sum((x[1] == r or x[2] == p) and x[3] > a for x in t),
                    "This applies OR before AND; in SQL, AND binds more tightly than OR.",
                ),
                (
                    lambda t, r, p, a: sum(x[1] == r and x[2] == p and x[3] > a for x in t),
                    "This reads OR as AND.",
                ),
                (
                    lambda t, r, p, a: sum(x[1] == r for x in t),
                    "This counts only the rows of the region, ignoring the OR branch.",
                ),
            ],
        ),
        (
            "SELECT COUNT(*) FROM sales WHERE amount BETWEEN {a} AND {b};",
            lambda t, a, b: sum(a <= x[3] <= b for x in t),
            [
                (
                    lambda t, a, b: sum(a < x[3] < b for x in t),
                    "This excludes the endpoints; BETWEEN is inclusive.",
                ),
                (
                    lambda t, a, b: sum(a <= x[3] < b for x in t),
                    "This excludes the upper endpoint only.",
                ),
                (
                    lambda t, a, b: sum(not (a <= x[3] <= b) for x in t),
                    "This counts the rows outside the range.",
                ),
            ],
        ),
        (
            "SELECT COUNT(*) FROM sales WHERE NOT (region = '{r}' AND product = '{p}');",
            lambda t, r, p: sum(not (x[1] == r and x[2] == p) for x in t),
            [
                (
                    lambda t, r, p: sum(x[1] != r and x[2] != p for x in t),
                    "This distributes NOT without switching AND to OR (De Morgan's law).",
                ),
                (
                    lambda t, r, p: sum(x[1] == r and x[2] == p for x in t),
                    "This counts the rows that match the condition inside NOT.",
                ),
                (lambda t, r, p: sum(x[1] != r for x in t), "This checks only the region."),
            ],
        ),
        (
            "SELECT COUNT(*) FROM sales WHERE product IN ('{p}', '{q}') AND amount >= {a};",
            lambda t, p, q, a: sum(x[2] in (p, q) and x[3] >= a for x in t),
            [
                (
                    lambda t, p, q, a: sum(x[2] in (p, q) and x[3] > a for x in t),
                    "This uses > instead of >=, dropping rows equal to the bound.",
                ),
                (
                    lambda t, p, q, a: sum(x[2] in (p, q) for x in t),
                    "This ignores the amount condition.",
                ),
                (
                    lambda t, p, q, a: sum(x[2] in (p, q) or x[3] >= a for x in t),
                    "This reads AND as OR.",
                ),
            ],
        ),
    ]
    for sql_t, key_f, wrongs in templates:
        while True:
            t = _sales_table(rng)
            names = {
                "r": rng.choice(["North", "South", "East"]),
                "p": "A",
                "q": "C",
                "a": rng.choice(sorted({x[3] for x in t})),
                "b": 0,
            }
            amounts = sorted({x[3] for x in t})
            names["b"] = rng.choice(amounts)
            if names["b"] <= names["a"]:
                continue
            names["p"] = rng.choice(["A", "B", "C"])
            names["q"] = rng.choice([c for c in "ABC" if c != names["p"]])
            args = [names[k] for k in re.findall(r"\{(\w)\}", sql_t)]
            args = list(dict.fromkeys(args)) if "BETWEEN" not in sql_t else args
            key = key_f(t, *args)
            vals = [key] + [f(t, *args) for f, _ in wrongs]
            if len(set(vals)) == 4:
                break
        sql = sql_t.format(**names)
        stem = (
            f"Table `sales`:\n\n{md_table(_SALES_COLS, t)}\n\nWhat does this query return?\n"
            f"\n```sql\n{sql}\n```\n"
        )
        verb = "row satisfies" if key == 1 else "rows satisfy"
        why = f"Evaluating the condition row by row, {key} {verb} it."
        wrong = [(str(f(t, *args)), w) for f, w in wrongs]
        out.append(
            _numeric(
                "DA6", "apply", stem, str(key), why, wrong, "sql_query", {"rows": t, "sql": sql}
            )
        )
    return out


def check_sql_query(p: dict) -> str:
    res = _sqlite(p["rows"], p["sql"], p.get("cols", _SALES_COLS), p.get("table", "sales"))
    if p.get("result") == "rowcount":
        return str(len(res))
    value = res[0][0]
    if "decimals" in p:
        return fmt(float(value), p["decimals"])
    return str(int(value)) if value is not None else "NULL"


def model_sql_count_null(rng: random.Random) -> list[Draft]:
    out = []
    cols = ["id", "customer", "coupon"]
    for kind in ["count_col", "count_distinct", "count_star_minus"]:
        while True:
            n = rng.randint(7, 9)
            t = [
                [
                    i + 1,
                    rng.choice(["Ana", "Ben", "Chen", "Dara"]),
                    rng.choice(["SAVE10", "SAVE10", "FREESHIP", "WELCOME", None, None]),
                ]
                for i in range(n)
            ]
            non_null = sum(r[2] is not None for r in t)
            distinct = len({r[2] for r in t if r[2] is not None})
            nulls = n - non_null
            if kind == "count_col":
                sql, key = "SELECT COUNT(coupon) FROM orders;", non_null
                why = "COUNT(column) counts the non-NULL values of the column."
                wrong = [
                    (str(n), "This is COUNT(*), which counts every row including NULLs."),
                    (str(distinct), "This is COUNT(DISTINCT coupon)."),
                    (str(nulls), "This is the number of NULLs."),
                ]
            elif kind == "count_distinct":
                sql, key = "SELECT COUNT(DISTINCT coupon) FROM orders;", distinct
                why = "COUNT(DISTINCT column) counts the different non-NULL values."
                wrong = [
                    (str(non_null), "This counts every non-NULL value, including repeats."),
                    (
                        str(distinct + 1),
                        "This counts NULL as one more distinct value; COUNT ignores NULLs.",
                    ),
                    (str(n), "This counts every row."),
                ]
            else:
                sql, key = "SELECT COUNT(*) - COUNT(coupon) FROM orders;", nulls
                why = (
                    "COUNT(*) counts all rows and COUNT(coupon) the non-NULL coupons; the "
                    "difference is the number of NULL coupons."
                )
                wrong = [
                    ("0", "This assumes COUNT(*) and COUNT(coupon) are always equal."),
                    (str(non_null), "This is COUNT(coupon) alone."),
                    (str(n - distinct), "This subtracts COUNT(DISTINCT coupon)."),
                ]
            if len({str(key), *[w for w, _ in wrong]}) == 4 and nulls > 0:
                break
        stem = (
            f"Table `orders`:\n\n{md_table(cols, t)}\n\nWhat does this query return?\n"
            f"\n```sql\n{sql}\n```\n"
        )
        out.append(
            _numeric(
                "DA6",
                "understand",
                stem,
                str(key),
                why,
                wrong,
                "sql_query",
                {"rows": t, "sql": sql, "cols": cols, "table": "orders"},
            )
        )
    return out


def model_sql_group(rng: random.Random) -> list[Draft]:
    out = []
    for threshold_kind in ["sum", "count", "avg"]:
        while True:
            t = _sales_table(rng, 9)
            by: dict[str, list[int]] = {}
            for r in t:
                by.setdefault(r[1], []).append(r[3])
            if threshold_kind == "sum":
                th = rng.randrange(200, 700, 50)
                agg, cond = f"SUM(amount) > {th}", (lambda v, th=th: sum(v) > th)
                roww = sum(x[3] > th for x in t)
                roww_why = f"This counts rows with amount > {th} (a WHERE filter on single rows)."
            elif threshold_kind == "count":
                th = rng.choice([2, 3])
                agg, cond = f"COUNT(*) >= {th}", (lambda v, th=th: len(v) >= th)
                roww = sum(len(v) for v in by.values() if len(v) >= th)
                roww_why = "This counts the rows inside the qualifying groups, not the groups."
            else:
                th = rng.randrange(100, 220, 10)
                agg, cond = f"AVG(amount) > {th}", (lambda v, th=th: sum(v) / len(v) > th)
                roww = sum(x[3] > th for x in t)
                roww_why = f"This counts rows with amount > {th} instead of groups."
            key = sum(cond(v) for v in by.values())
            vals = [key, len(by), roww, len(t)]
            if len(set(vals)) == 4 and key > 0:
                break
        sql = f"SELECT region, {agg.split(' ')[0]} FROM sales GROUP BY region HAVING {agg};"
        stem = (
            f"Table `sales`:\n\n{md_table(_SALES_COLS, t)}\n\nHow many rows does this query "
            f"return?\n\n```sql\n{sql}\n```\n"
        )
        why = f"There are {len(by)} regions; HAVING keeps the groups with {agg}: {key}."
        wrong = [
            (str(len(by)), "This is the number of groups before HAVING is applied."),
            (str(roww), roww_why),
            (
                str(len(t)),
                "This is the number of rows in the table; GROUP BY returns one row per group.",
            ),
        ]
        out.append(
            _numeric(
                "DA6",
                "apply",
                stem,
                str(key),
                why,
                wrong,
                "sql_query",
                {"rows": t, "sql": sql, "result": "rowcount"},
            )
        )
    return out


def model_sql_avg_null(rng: random.Random) -> list[Draft]:
    out = []
    cols = ["id", "product", "rating"]
    for _ in range(2):
        while True:
            n = rng.choice([6, 8])
            t = [
                [i + 1, rng.choice(["A", "B"]), rng.choice([1, 2, 3, 4, 5, None, None])]
                for i in range(n)
            ]
            vals = [r[2] for r in t if r[2] is not None]
            if not vals or len(vals) == n:
                continue
            if len(vals) < 3:
                continue
            key = sum(vals) / len(vals)
            zero = sum(vals) / n
            med = statistics.median(vals)
            mid = sum(vals) / (len(vals) - 1)
            cand = [key, zero, med, mid]
            if len({fmt(v) for v in cand}) == 4:
                break
        sql = "SELECT AVG(rating) FROM reviews;"
        stem = (
            f"Table `reviews`:\n\n{md_table(cols, t)}\n\nWhat does this query return "
            f"(rounded to two decimals)?\n\n```sql\n{sql}\n```\n"
        )
        why = (
            f"AVG ignores NULLs: the {len(vals)} ratings sum to {sum(vals)}, and "
            f"{sum(vals)} / {len(vals)} = {fmt(key)}."
        )
        wrong = [
            (fmt(zero), f"This divides by all {n} rows, treating NULL as 0."),
            (fmt(med), "This is the median of the non-NULL ratings."),
            (fmt(mid), "This divides by the number of ratings minus one."),
        ]
        out.append(
            _numeric(
                "DA6",
                "understand",
                stem,
                fmt(key),
                why,
                wrong,
                "sql_query",
                {"rows": t, "sql": sql, "cols": cols, "decimals": 2, "table": "reviews"},
            )
        )
    return out


def model_spreadsheet_if(rng: random.Random) -> list[Draft]:
    out = []
    for kind in ["countif_gt", "sumif", "countif_ge", "averageif"]:
        while True:
            regions = [rng.choice(["North", "South", "West"]) for _ in range(8)]
            sales = [rng.randrange(20, 100, 5) for _ in range(8)]
            th = rng.choice(sales)
            r = rng.choice(["North", "South", "West"])
            sel = [s for g, s in zip(regions, sales, strict=True) if g == r]
            if not sel:
                continue
            if kind == "countif_gt":
                formula = f'=COUNTIF(B2:B9, ">{th}")'
                key = sum(s > th for s in sales)
                wrong = [
                    (
                        str(sum(s >= th for s in sales)),
                        f'This counts values ≥ {th}; ">" excludes the threshold.',
                    ),
                    (
                        str(sum(s < th for s in sales)),
                        "This counts the values below the threshold.",
                    ),
                    (
                        str(sum(s for s in sales if s > th)),
                        "This sums the qualifying values instead of counting them.",
                    ),
                ]
            elif kind == "countif_ge":
                formula = f'=COUNTIF(B2:B9, ">={th}")'
                key = sum(s >= th for s in sales)
                wrong = [
                    (
                        str(sum(s > th for s in sales)),
                        f'This excludes values equal to {th}; ">=" includes them.',
                    ),
                    (
                        str(sum(s <= th for s in sales)),
                        "This counts values at or below the threshold.",
                    ),
                    (str(8), "This counts every value in the range."),
                ]
            elif kind == "sumif":
                formula = f'=SUMIF(A2:A9, "{r}", B2:B9)'
                key = sum(sel)
                wrong = [
                    (
                        str(len(sel)),
                        f'This counts the "{r}" rows (COUNTIF) instead of summing their sales.',
                    ),
                    (str(sum(sales)), "This sums the sales of every region."),
                    (str(sum(sales) - sum(sel)), f'This sums the rows that are not "{r}".'),
                ]
            else:
                formula = f'=AVERAGEIF(A2:A9, "{r}", B2:B9)'
                key = sum(sel) / len(sel)
                wrong = [
                    (fmt(sum(sel) / 8), "This divides the region's total by all 8 rows."),
                    (fmt(sum(sales) / 8), "This is the average of all rows."),
                    (
                        fmt(float(sum(sel))),
                        "This is the total of the matching rows (SUMIF), not their average.",
                    ),
                ]
                key = fmt(key)
            key = str(key)
            if len({key, *[w[0] for w in wrong]}) == 4:
                break
        rows = [[i + 2, g, s] for i, (g, s) in enumerate(zip(regions, sales, strict=True))]
        stem = (
            f"A sheet holds regions in A2:A9 and sales in B2:B9:\n\n"
            f"{md_table(['row', 'A (region)', 'B (sales)'], rows)}\n\n"
            f"What does the formula `{formula}` return?\n"
        )
        why = {
            "countif_gt": f"COUNTIF counts the cells in B2:B9 greater than {th}: {key}.",
            "countif_ge": f"COUNTIF counts the cells in B2:B9 at least {th}: {key}.",
            "sumif": f'SUMIF adds B on the rows where A is "{r}": {key}.',
            "averageif": f'AVERAGEIF averages B on the rows where A is "{r}": {key}.',
        }[kind]
        out.append(
            _numeric(
                "DA6",
                "apply",
                stem,
                key,
                why,
                wrong,
                "spreadsheet_if",
                {"regions": regions, "sales": sales, "formula": formula},
            )
        )
    return out


def check_spreadsheet_if(p: dict) -> str:
    """Evaluate the formula with an independent mini-evaluator of COUNTIF/SUMIF/AVERAGEIF."""
    f = p["formula"]
    m = re.fullmatch(r'=(COUNTIF|SUMIF|AVERAGEIF)\((\w+):(\w+), "([^"]*)"(?:, (\w+):(\w+))?\)', f)
    if m is None:
        raise AssertionError(f"cannot parse {f}")
    fn, crit = m.group(1), m.group(4)
    cols = {"A": p["regions"], "B": p["sales"]}
    test = cols[m.group(2)[0]]
    crit_m = re.fullmatch(r"(>=|<=|>|<|=)?(.*)", crit)
    op, val = crit_m.group(1) or "=", crit_m.group(2)

    def ok(v: object) -> bool:
        if isinstance(v, str):
            return op == "=" and v.lower() == val.lower()
        x = float(val)
        return {">": v > x, ">=": v >= x, "<": v < x, "<=": v <= x, "=": v == x}[op]

    hits = [i for i, v in enumerate(test) if ok(v)]
    if fn == "COUNTIF":
        return str(len(hits))
    values = [cols[m.group(5)[0]][i] for i in hits]
    return str(sum(values)) if fn == "SUMIF" else fmt(sum(values) / len(values))


# ---------------------------------------------------------------------------------------------
# Item sets: a shared stimulus (written to item_bank/sets/<set id>.yaml, not repeated in the
# stems) and 3-4 items that refer to it
# ---------------------------------------------------------------------------------------------
SET_ORDERS = "DA-SET-01"
_ORDERS_COLS = ["order_id", "customer", "region", "amount", "status"]
_ORDERS_ROWS = [
    [1, "Ana", "North", 120, "paid"],
    [2, "Ben", "South", 80, "paid"],
    [3, "Ana", "North", 200, "refunded"],
    [4, "Chen", "East", 150, None],
    [5, "Ben", "South", 40, "paid"],
    [6, "Dara", "North", 90, "paid"],
    [7, "Chen", "East", 310, "paid"],
    [8, "Ana", "South", 60, None],
]
SET_MUSEUM = "DA-SET-02"
_MUSEUM = [212, 198, 240, 225, 205, 1480, 230, 219, 201, 226, 214]

SETS = {
    SET_ORDERS: {
        "title": "Orders table (SQL)",
        "outcomes": ["DA6"],
        "stimulus": "Use the table `orders` below for the questions in this set (NULL marks a "
        "missing status).\n\n" + md_table(_ORDERS_COLS, _ORDERS_ROWS) + "\n",
    },
    SET_MUSEUM: {
        "title": "Museum attendance",
        "outcomes": ["DA3"],
        "stimulus": "A small museum recorded its daily visitors over 11 consecutive days. Day 6 "
        "was the city's annual festival.\n\n"
        + md_table(["day", *[str(d + 1) for d in range(11)]], [["visitors", *_MUSEUM]])
        + "\n",
    },
}


def model_set_orders(rng: random.Random) -> list[Draft]:
    p = {"rows": _ORDERS_ROWS, "cols": _ORDERS_COLS, "table": "orders"}
    items = [
        (
            "SELECT COUNT(*) FROM orders WHERE region = 'North' AND amount > 100;",
            "2",
            "Orders 1 (120) and 3 (200) are North with amount above 100; order 6 (90) is not.",
            [
                ("3", "This counts every North order, ignoring the amount condition."),
                ("4", "This counts every order above 100, ignoring the region."),
                ("5", "This reads AND as OR."),
            ],
            {},
        ),
        (
            "SELECT customer, SUM(amount) FROM orders GROUP BY customer HAVING SUM(amount) > 200;",
            "2",
            "Totals: Ana 380, Ben 120, Chen 460, Dara 90; only Ana and Chen exceed 200, so the "
            "query returns 2 rows.",
            [
                ("4", "This is the number of customers (groups) before HAVING filters them."),
                ("1", "This counts single orders above 200 (a WHERE condition on rows)."),
                ("8", "This is the number of rows in the table."),
            ],
            {"result": "rowcount"},
        ),
        (
            "SELECT AVG(amount) FROM orders WHERE status = 'paid';",
            "128.00",
            "The paid orders are 120, 80, 40, 90 and 310: 640 / 5 = 128.00. Rows with a NULL "
            "status do not satisfy status = 'paid'.",
            [
                ("131.25", "This averages all 8 orders, ignoring the WHERE clause."),
                (
                    "121.43",
                    "This treats the NULL-status orders as paid; NULL = 'paid' is not true.",
                ),
                ("80.00", "This divides the paid total by all 8 rows."),
            ],
            {"decimals": 2},
        ),
        (
            "SELECT COUNT(status) FROM orders;",
            "6",
            "COUNT(status) counts non-NULL statuses: 8 rows minus 2 NULLs = 6.",
            [
                ("8", "This is COUNT(*), which also counts the NULL statuses."),
                ("2", "This is COUNT(DISTINCT status): paid and refunded."),
                ("5", "This is the number of paid orders."),
            ],
            {},
        ),
    ]
    out = []
    for sql, key, why, wrong, extra in items:
        stem = (
            f"Use the `orders` table of this set ({SET_ORDERS}). What does this query "
            f"return?\n\n```sql\n{sql}\n```\n"
        )
        out.append(
            Draft(
                "DA6",
                "apply",
                stem,
                key,
                why,
                wrong,
                order="numeric",
                set=SET_ORDERS,
                model="sql_query",
                params={**p, "sql": sql, **extra},
            )
        )
    return out


def model_set_museum(rng: random.Random) -> list[Draft]:
    xs = _MUSEUM
    s = sorted(xs)
    mean = sum(xs) / len(xs)
    med = s[len(s) // 2]
    trimmed = sum(x for x in xs if x != 1480) / (len(xs) - 1)
    out = [
        Draft(
            "DA3",
            "apply",
            f"Using the attendance data of this set ({SET_MUSEUM}), what is the **median** "
            "number of daily visitors?\n",
            str(med),
            f"Sorted, the 6th of the 11 values is {med}.",
            [
                (f"{xs[5]:,}", "This is the 6th value in day order, taken without sorting."),
                (fmt(mean, 1), "This is the mean."),
                (str(s[4]), "This is the 5th sorted value, one below the middle."),
            ],
            order="numeric",
            set=SET_MUSEUM,
            model="median_int",
            params={"xs": xs},
        ),
        Draft(
            "DA3",
            "apply",
            f"Using the attendance data of this set ({SET_MUSEUM}), what is the **mean** number of "
            "daily visitors (to one decimal)?\n",
            fmt(mean, 1),
            f"The 11 values sum to {sum(xs):,}; {sum(xs):,} / 11 = {fmt(mean, 1)}.",
            [
                (str(med), "This is the median."),
                (fmt(trimmed, 1), "This leaves out the festival day, which is part of the data."),
                (fmt(sum(xs) / 10, 1), "This divides by 10 instead of 11."),
            ],
            order="numeric",
            set=SET_MUSEUM,
            model="mean_1",
            params={"xs": xs},
        ),
        Draft(
            "DA3",
            "evaluate",
            f"The museum wants one number for the attendance on a **typical** day (data of set "
            f"{SET_MUSEUM}). Which summary should it report?\n",
            f"The median ({med}), because the festival day inflates the mean",
            "The festival day is an extreme value that pulls the mean up to "
            f"{fmt(mean, 1)}, above 10 of the 11 days; the median is resistant to it.",
            [
                (
                    f"The mean ({fmt(mean, 1)}), because it uses every day's value",
                    "Using every value is exactly why the single festival day distorts it.",
                ),
                (
                    f"The maximum ({max(xs):,}), because it shows the museum's capacity",
                    "The maximum describes one exceptional day, not a typical one.",
                ),
                (
                    f"The range ({max(xs) - min(xs):,}), because it summarizes all the days",
                    "The range measures spread, not a typical value.",
                ),
            ],
            set=SET_MUSEUM,
        ),
    ]
    return out


MODELS: list[Callable[[random.Random], list[Draft]]] = [
    model_level_of_measurement,
    model_data_type,
    model_stratified_allocation,
    model_mean_imputation,
    model_listwise_deletion,
    model_join_rows,
    model_minmax,
    model_dedupe,
    model_median,
    model_mean,
    model_sd,
    model_z_score,
    model_iqr,
    model_combined_mean,
    model_empirical_rule,
    model_truncated_axis,
    model_pie_angle,
    model_stacked_share,
    model_histogram_count,
    model_log_axis,
    model_independent_and,
    model_at_least_one,
    model_conditional,
    model_standard_error,
    model_confidence_interval,
    model_expected_value,
    model_binomial,
    model_sql_where,
    model_sql_count_null,
    model_sql_group,
    model_sql_avg_null,
    model_spreadsheet_if,
    model_set_orders,
    model_set_museum,
]

CHECKERS: dict[str, Callable[[dict], str]] = {
    "level_of_measurement": check_level_of_measurement,
    "data_type": check_data_type,
    "stratified_allocation": check_stratified_allocation,
    "mean_imputation": check_mean_imputation,
    "listwise_deletion": check_listwise_deletion,
    "join_rows": check_join_rows,
    "minmax": check_minmax,
    "dedupe": check_dedupe,
    "median": check_median,
    "mean": check_mean,
    "standard_deviation": check_standard_deviation,
    "z_score": check_z_score,
    "iqr": check_iqr,
    "combined_mean": check_combined_mean,
    "empirical_rule": check_empirical_rule,
    "truncated_axis": check_truncated_axis,
    "pie_angle": check_pie_angle,
    "stacked_share": check_stacked_share,
    "histogram_count": check_histogram_count,
    "log_axis": check_log_axis,
    "independent_and": check_independent_and,
    "at_least_one": check_at_least_one,
    "conditional": check_conditional,
    "standard_error": check_standard_error,
    "confidence_interval": check_confidence_interval,
    "expected_value": check_expected_value,
    "binomial": check_binomial,
    "sql_query": check_sql_query,
    "spreadsheet_if": check_spreadsheet_if,
    "median_int": lambda p: str(int(statistics.median(p["xs"]))),
    "mean_1": lambda p: fmt(statistics.fmean(p["xs"]), 1),
}


def generate(seed: int) -> list[Draft]:
    """All generated drafts; each model gets its own stream derived from ``seed``."""
    drafts: list[Draft] = []
    for j, model in enumerate(MODELS):
        drafts.extend(model(random.Random(seed * 1000 + j)))
    return drafts


def check_draft(d: Draft) -> list[str]:
    """Problems with a generated draft (empty list = the key is the unique correct option)."""
    problems = []
    if d.model is None:
        return problems
    expected = CHECKERS[d.model](d.params or {})
    options = [d.key, *[w for w, _ in d.wrong]]
    if expected != d.key:
        problems.append(f"{d.model}: key {d.key!r} but recomputed {expected!r}")
    if expected in [w for w, _ in d.wrong]:
        problems.append(f"{d.model}: a distractor equals the correct answer {expected!r}")
    if len(set(options)) != len(options):
        problems.append(f"{d.model}: duplicate options {options}")
    if d.order == "numeric":
        nums = [number_of(o) for o in options]
        if len(set(nums)) != len(nums):
            problems.append(f"{d.model}: options equal in value {options}")
    return problems
