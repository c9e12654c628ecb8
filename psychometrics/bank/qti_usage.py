"""Reading QTI 3 usage data written by credkit: IRT parameters and classical statistics.

The names are those :func:`psychometrics.bank.qti.usage_data_xml` writes (``irt-a``, ``irt-b``,
``irt-b1``.., ``irt-c``, ``p-value``, ``rpbis``); the ``context`` attribute gives the model and
the calibration.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

from psychometrics.bank.qti_package import Package


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_usage(pkg: Package, href: str) -> dict[str, dict[str, Any]]:
    """Per QTI identifier: ``{statistic name: (value, attributes)}``."""
    root = pkg.xml(href)
    out: dict[str, dict[str, Any]] = {}
    for stat in root:
        if _local(stat.tag) != "ordinaryStatistic":
            continue
        target = next((el for el in stat.iter() if _local(el.tag) == "targetObject"), None)
        value = next((el for el in stat.iter() if _local(el.tag) == "value"), None)
        if target is None or value is None:
            continue
        try:
            number = float((value.text or "").strip())
        except ValueError:
            continue
        out.setdefault(target.get("identifier", ""), {})[stat.get("name", "")] = (
            number,
            dict(stat.attrib),
        )
    return out


def irt_from_usage(stats: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``irt:`` block of an item, or ``None`` when the usage data hold no credkit model."""
    if "irt-a" not in stats:
        return None
    _, attrs = stats["irt-a"]
    context = attrs.get("context", "")
    model = re.search(r"model=([a-z0-9]+)", context)
    if model is None:
        return None
    block: dict[str, Any] = {"model": model.group(1), "a": stats["irt-a"][0]}
    se: dict[str, float] = {}
    names = (
        ["b"]
        if "irt-b" in stats
        else sorted(
            (n[4:] for n in stats if re.fullmatch(r"irt-b\d+", n)), key=lambda s: int(s[1:])
        )
    )
    for name in ["a", *names, "c"]:
        entry = stats.get(f"irt-{name}")
        if entry is None:
            continue
        block[name] = entry[0]
        if "stdError" in entry[1]:
            try:
                se[name] = float(entry[1]["stdError"])
            except ValueError:
                pass
    if se:
        block["se"] = se
    calibration = re.search(r"calibration=([^;]+)", context)
    if calibration:
        block["calibration"] = calibration.group(1).strip()
    if "caseCount" in attrs and attrs["caseCount"].isdigit():
        block["n"] = int(attrs["caseCount"])
    if attrs.get("lastUpdated"):
        try:
            block["date"] = _dt.date.fromisoformat(attrs["lastUpdated"][:10])
        except ValueError:
            pass
    return block


def stats_from_usage(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The ``stats:`` block (p, rpbis, n) from the classical statistics, empty if none."""
    names = (("p", "p-value"), ("rpbis", "rpbis"))
    classical: dict[str, Any] = {k: stats[n][0] for k, n in names if n in stats}
    if classical:
        n = next((stats[name][1].get("caseCount") for _, name in names if name in stats), None)
        if n and n.isdigit():
            classical["n"] = int(n)
    return classical
