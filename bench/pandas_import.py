"""The straightforward pandas version of the import, as a data analyst would write it (baseline).

Reads both sheets with pandas.read_excel, checks required cells, numbers, ranges, options and the
cross-field rules column by column, then writes the two tables to a SQLite file with DataFrame.to_sql.
It reports no cell locations and keeps no change log: it is the floor of work an import has to do.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pandas as pd

from dudao.standards.model import load_dictionary


def run(path: Path, db: Path) -> int:
    d = load_dictionary()
    sheets = pd.read_excel(path, sheet_name=["学校", "学段"], skiprows=[1], dtype=object)
    errors = 0
    for name, df in sheets.items():
        header_to_code = {}
        for el in d.elements:
            header_to_code[el.header] = el.code
        df.columns = [header_to_code.get(c, c) for c in df.columns]
        for el in d.elements:
            if el.code not in df.columns:
                continue
            col = df[el.code]
            if el.required:
                errors += int(col.isna().sum())
            if el.numeric:
                num = pd.to_numeric(col, errors="coerce")
                errors += int((num.isna() & col.notna()).sum())
                if el.min is not None:
                    errors += int(((num < el.min) | (num > el.max)).sum())
                df[el.code] = num
            elif el.enum:
                labels = {o.zh: o.code for o in d.enums[el.enum]}
                errors += int((~col.isin(list(labels)) & col.notna()).sum())
                df[el.code] = col.map(labels)
        if name == "学段":
            for rule in d.rules:
                names = d.formulas[rule.id].names
                if names <= set(df.columns):
                    ok = df.eval(rule.check.replace("implies(", "~(").replace(",", ") | (", 1)) if "implies" in rule.check \
                        else df.eval(rule.check)
                    errors += int((~ok.astype(bool) & df[list(names)].notna().all(axis=1)).sum())
        sheets[name] = df
    if errors:
        return errors
    with sqlite3.connect(db) as con:
        sheets["学校"].to_sql("school_year", con, if_exists="replace", index=False)
        sheets["学段"].to_sql("section_year", con, if_exists="replace", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(1 if run(Path(sys.argv[1]), Path(sys.argv[2])) else 0)
