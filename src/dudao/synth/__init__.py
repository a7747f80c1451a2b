"""Synthetic school data for demos, tests and benchmarks (no Django needed).

- ``generate_province`` / ``write_province``: one province over several years, in the form of the
  school data workbook (xlsx and csv), with a record of what was designed to fail;
- ``generate_nation`` / ``write_nation``: the whole country for one year as a Parquet table.
"""

from dudao.synth.nation import generate_nation, write_nation
from dudao.synth.province import ProvinceData, YearData, generate_province, write_province

__all__ = ["ProvinceData", "YearData", "generate_nation", "generate_province", "write_nation", "write_province"]
