"""Reading a students' scores file (CSV, Parquet or XLSX) for the value-added estimate, and writing results.

The file has one row per student: 学籍号, 学校标识码, 前测成绩, 后测成绩 (blank when the student has no
score at that time), optionally 学校名称 and 所在县代码, and any background covariates (numbers, or 是/否).
Accepted column names are in ``valueadded.yaml``. Every check names the file, the row and the column; a
file with any error is refused whole. Django-free: the CLI and the pages both use it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dudao.quality.errors import ValueAddedError, VAMessage
from dudao.standards.valueadded import ValueAddedSpec, load_valueadded

REQUIRED = ("student_id", "school_code", "pre", "post")
OPTIONAL = ("school_name", "county_code")
YES = {"是": 1.0, "否": 0.0, "true": 1.0, "false": 0.0, "True": 1.0, "False": 0.0, "1": 1.0, "0": 0.0}
SCHOOL_CODE = re.compile(r"^[0-9]{10}$")


@dataclass
class ScoresInput:
    """A checked scores table (system column names), the covariates to use and the file's hash."""

    frame: pd.DataFrame
    covariates: list[str]
    inputs_hash: str
    name: str


def file_hash(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def frame_hash(frame: pd.DataFrame) -> str:
    """A hash of a table's content (for scores made in memory): every row's values in student order."""
    ordered = frame.sort_values("student_id", kind="stable")[sorted(frame.columns)]
    h = hashlib.sha256(("|".join(ordered.columns)).encode("utf-8"))
    h.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(65536)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "utf-8" if exc.start > len(head) - 4 else "gb18030"  # a character cut at the end is fine
    return "utf-8"


def _read(path: Path) -> tuple[pd.DataFrame, int]:
    """The raw table and the file row number of its first data row."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path), 1
        if suffix == ".xlsx":
            return pd.read_excel(path, dtype=object, engine="calamine"), 2
        if suffix == ".csv":
            import pyarrow as pa
            import pyarrow.csv as pacsv

            encoding = _encoding(path)
            with path.open(encoding=encoding) as fh:
                header = next(iter(fh), "").lstrip("\ufeff").rstrip("\r\n").split(",")
            spec = load_valueadded()
            codes = {n for k in ("student_id", "school_code", "county_code", "school_name") for n in spec.columns[k]}
            text_cols = {h: pa.string() for h in header if h.strip() in codes}  # codes stay text (leading zeros)
            table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding=encoding),
                                   convert_options=pacsv.ConvertOptions(column_types=text_cols,
                                                                        strings_can_be_null=True))
            frame = table.to_pandas()
            frame.columns = [str(c).lstrip("\ufeff") for c in frame.columns]
            return frame, 2
    except (OSError, ValueError, KeyError) as exc:
        raise ValueAddedError(VAMessage.FILE, file=path.name, detail=str(exc)[:200]) from None
    raise ValueAddedError(VAMessage.FILE_TYPE, file=path.name)


def _rename(frame: pd.DataFrame, spec: ValueAddedSpec) -> dict[str, str]:
    """System name → the file's header, for the columns found."""
    headers = {str(c).strip(): c for c in frame.columns}
    found: dict[str, Any] = {}
    for code, names in spec.columns.items():
        hit = next((headers[n] for n in names if n in headers), None)
        if hit is not None:
            found[code] = hit
    for cov in spec.covariates:
        hit = next((headers[n] for n in [*cov.headers, cov.code] if n in headers), None)
        if hit is not None:
            found[cov.code] = hit
    return found


def _rows(mask: np.ndarray, first_row: int) -> tuple[int, int]:
    idx = np.flatnonzero(mask)
    return int(idx[0]) + first_row, len(idx) - 1


def _numbers(raw: pd.Series, file: str, column: str, first_row: int, yes_no: bool = False) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    text = raw.astype("string").str.strip()
    text = text.mask(text == "", pd.NA)
    values = pd.to_numeric(text, errors="coerce")
    if yes_no:
        values = values.fillna(text.map(YES))
    bad = text.notna().to_numpy() & values.isna().to_numpy()
    if bad.any():
        row, more = _rows(bad, first_row)
        raise ValueAddedError(VAMessage.NUMBER, file=file, row=row, column=column, value=text.iloc[row - first_row],
                              more=more)
    return values.astype("float64")


def _text_category(col: pd.Series) -> pd.Series:
    """Codes and names as trimmed text, stored as categories (each distinct value once)."""
    cat = col.astype("category")
    cats = cat.cat.categories
    cleaned = [f"{c:.0f}" if isinstance(c, float) and c.is_integer() else str(c).strip() for c in cats]
    if cleaned == list(cats):
        return cat
    if len(set(cleaned)) == len(cleaned):
        return cat.cat.rename_categories(cleaned)
    uniq, inverse = np.unique(np.asarray(cleaned, dtype=object), return_inverse=True)  # " 1" and "1" become one
    codes = cat.cat.codes.to_numpy()
    return pd.Series(pd.Categorical.from_codes(np.where(codes >= 0, inverse[codes], -1), categories=uniq),
                     index=col.index)


def _ids(col: pd.Series) -> pd.Series:
    """Student ids: whole numbers stay numbers (fast to compare), anything else trimmed text."""
    if pd.api.types.is_integer_dtype(col):
        return col.astype("int64")
    if pd.api.types.is_float_dtype(col) and (col.dropna() % 1 == 0).all():
        return col.astype("Int64")
    return col.astype("string").str.strip()


def read_scores(path: Path | str, covariates: Sequence[str] | None = None, spec: ValueAddedSpec | None = None) -> ScoresInput:
    """Reads and checks a scores file. ``covariates``: codes or headers to use; None: every known one present."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        raise ValueAddedError(VAMessage.FILE_TYPE, file=path.name)
    if not path.exists():
        raise ValueAddedError(VAMessage.FILE, file=path.name, detail="文件不存在 / no such file")
    spec = spec or load_valueadded()
    raw, first_row = _read(path)
    return check_frame(raw, path.name, first_row, covariates, spec, file_hash(path))


def check_frame(raw: pd.DataFrame, file: str, first_row: int = 2, covariates: Sequence[str] | None = None,
                spec: ValueAddedSpec | None = None, inputs_hash: str = "") -> ScoresInput:
    """Checks a raw table (the file's headers) and returns it with system column names."""
    spec = spec or load_valueadded()
    found = _rename(raw, spec)
    for code in REQUIRED:
        if code not in found:
            names = spec.columns[code]  # type: ignore[index]
            raise ValueAddedError(VAMessage.HEADER, file=file, column=names[0], names="、".join(names))
    if covariates is None:
        chosen = [c.code for c in spec.covariates if c.code in found]
    else:
        chosen = []
        for name in covariates:
            known = next((c.code for c in spec.covariates if name in (c.code, *c.headers)), None)
            if known and known in found:
                chosen.append(known)
            elif name in raw.columns:
                found[name] = name
                chosen.append(name)
            else:
                raise ValueAddedError(VAMessage.COVARIATE, file=file, column=name)
    out = pd.DataFrame(index=raw.index)
    header = {code: str(found[code]) for code in found}
    for code in ("school_code", *[c for c in OPTIONAL if c in found]):
        out[code] = _text_category(raw[found[code]])
    out["student_id"] = _ids(raw[found["student_id"]])
    for code in ("student_id", "school_code"):
        col = out[code]
        empty = col.isna().to_numpy(copy=True)
        if isinstance(col.dtype, pd.CategoricalDtype):
            empty |= col.isin([""]).to_numpy()
        elif pd.api.types.is_string_dtype(col):
            empty |= (col == "").fillna(True).to_numpy(dtype=bool)
        if empty.any():
            row, more = _rows(empty, first_row)
            raise ValueAddedError(VAMessage.EMPTY, file=file, row=row, column=header[code], more=more)
    cats = out["school_code"].cat.categories
    bad_codes = [c for c in cats if not SCHOOL_CODE.fullmatch(str(c))]  # checked once per distinct code
    if bad_codes:
        bad = out["school_code"].isin(bad_codes).to_numpy()
        row, more = _rows(bad, first_row)
        raise ValueAddedError(VAMessage.SCHOOL_CODE, file=file, row=row, value=out["school_code"].iloc[row - first_row],
                              more=more)
    for code in ("pre", "post"):
        out[code] = _numbers(raw[found[code]], file, header[code], first_row)
    for code in chosen:
        out[code] = _numbers(raw[found[code]], file, header[code], first_row, yes_no=True)
    ids = out["student_id"]
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        same = np.flatnonzero((ids == ids.iloc[first]).to_numpy())
        rows = "、".join(str(int(i) + first_row) for i in same[:5])
        raise ValueAddedError(VAMessage.DUP_STUDENT, file=file, value=ids.iloc[first], rows=rows,
                              more=int(ids[dup].nunique()) - 1)
    return ScoresInput(out.reset_index(drop=True), chosen, inputs_hash or frame_hash(out), file)


def value_added(inp: ScoresInput, params: Any = None, engine: str = "duckdb") -> Any:
    """Puts the checked table into the backend (DuckDB or Spark) and estimates every school's value-added."""
    from dudao.engine.backends import connect
    from dudao.engine.valueadded import Params, estimate

    if engine not in ("duckdb", "spark"):
        raise ValueAddedError(VAMessage.ENGINE, engine=engine)
    if engine == "duckdb":  # DuckDB reads the Arrow columns in place (no copy into a table)
        import ibis
        import pyarrow as pa

        table = ibis.memtable(pa.Table.from_pandas(inp.frame, preserve_index=False))
    else:  # plain text columns for Spark
        frame = inp.frame.copy()
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(frame[col]):
                frame[col] = frame[col].astype(object)
        table = connect(engine).create_table(f"scores_{inp.inputs_hash[:12]}", frame, overwrite=True)  # type: ignore[arg-type]
    return estimate(table, inp.covariates, params or Params.from_spec(), engine=engine, inputs_hash=inp.inputs_hash,
                    inputs=inp.name)


# ---------------------------------------------------------------- results out

COLUMNS_ZH = {
    "school_code": "学校标识码", "school_name": "学校名称", "county_code": "所在县代码", "band_zh": "增值评价结果",
    "estimate": "增值（分）", "lower": "95% 区间下限", "upper": "95% 区间上限", "se": "标准误", "shrinkage": "收缩系数 λ",
    "raw": "未收缩增值（分）", "students": "学生数", "matched": "匹配学生数", "missing_pre": "缺前测", "missing_post": "缺后测",
    "missing_covariates": "缺背景变量", "pre_mean": "前测平均", "post_mean": "后测平均", "expected_post_mean": "后测预期平均",
    "reason_zh": "不发布原因", "note_zh": "提示",
}


def results_frame(result: Any, spec: ValueAddedSpec | None = None) -> pd.DataFrame:
    """One row per school in school-code order (never by estimate), with the band's words."""
    spec = spec or load_valueadded()
    frame = result.frame()
    frame["band_zh"] = frame["band"].map(lambda b: spec.band(b).zh)
    return frame.sort_values("school_code", kind="stable").reset_index(drop=True)


def model_rows(result: Any) -> list[tuple[str, str]]:
    """The model, its parameters and provenance, as (name, value) rows for a sheet or a report."""
    m, p, prov = result.model, result.params, result.provenance
    rows = [("模型 / model", m["id"]), ("回归变量 / regressors", "、".join(m["regressors"]))]
    rows += [(f"系数 β[{k}]", f"{v:.6g}（标准误 {m['beta_se'][k]:.3g}）") for k, v in m["beta"].items()]
    rows += [("截距 / intercept", f"{m['intercept']:.6g}"), ("校内方差 σ²", f"{m['sigma2']:.6g}"),
             ("校间方差 τ²", f"{m['tau2']:.6g}"), ("组内相关 ICC", f"{m['icc']:.4f}"),
             ("学生数 / students", str(m["students"])), ("匹配学生数 / matched", str(m["matched"])),
             ("学校数 / schools", str(m["schools"])), ("发布结果的学校 / schools estimated", str(m["schools_estimated"])),
             ("最少匹配学生数 / minimum matched", str(p["min_students"])),
             ("置信水平 / confidence level", f"{p['confidence_level']:.0%}"),
             ("输入文件 / inputs", prov.get("inputs", "")), ("输入哈希 SHA-256 / inputs hash", prov.get("inputs_hash", "")),
             ("程序版本 / code version", prov.get("code_version", "")), ("计算引擎 / engine", prov.get("engine", "")),
             ("计算时间 / computed at", prov.get("computed_at", ""))]
    return rows


def write_results(result: Any, out: Path | str, spec: ValueAddedSpec | None = None) -> Path:
    """Writes the results as .xlsx (schools + model sheets), .csv (schools; model in a .json beside) or .json."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".json"):
        raise ValueAddedError(VAMessage.OUT_TYPE, file=out.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = results_frame(result, spec)
    if suffix == ".json":
        out.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=1, default=float), encoding="utf-8")
        return out
    shown = frame[[c for c in COLUMNS_ZH if c in frame.columns]].rename(columns=COLUMNS_ZH)
    if suffix == ".csv":
        shown.to_csv(out, index=False, encoding="utf-8-sig")
        meta = {k: v for k, v in result.as_dict().items() if k != "schools"}
        out.with_suffix(".model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=float),
                                                  encoding="utf-8")
        return out
    with pd.ExcelWriter(out, engine="xlsxwriter") as xw:
        shown.to_excel(xw, sheet_name="学校增值", index=False)
        pd.DataFrame(model_rows(result), columns=["项目", "值"]).to_excel(xw, sheet_name="模型与来源", index=False)
        sheet = xw.sheets["学校增值"]
        sheet.freeze_panes(1, 2)
        sheet.set_column(0, 0, 13)
        sheet.set_column(1, 1, 28)
        sheet.set_column(2, len(shown.columns), 12)
        xw.sheets["模型与来源"].set_column(0, 0, 34)
        xw.sheets["模型与来源"].set_column(1, 1, 80)
    return out
