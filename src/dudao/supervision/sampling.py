"""Drawing the schools to visit: stratified random sampling from a recorded seed.

Strata are the workflow's ``sampling.strata`` (section × urban/town/rural by default) over the in-scope
school sections of the case's frozen assessment. Every failing school section is always included; each
stratum then gets at least ``ceil(min_share × n)`` (and ``min_per_stratum``) sections, the rest drawn at
random with NumPy's PCG64 from the seed stored on the case, in school-code order, so anyone can redraw
the same sample.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

import numpy as np
from django.db import transaction

from dudao.schools.models import SchoolYear
from dudao.standards.model import load_workflow
from dudao.supervision.models import Case, SampledSchool


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    section: str
    stratum: str
    failing: bool


def population(case: Case) -> list[Unit]:
    """The in-scope school sections of the case's assessment, with their stratum and failure flag."""
    if case.assessment is None:
        return []
    entry = case.assessment.counties.get(county_code=case.county.code).entry
    location = dict(SchoolYear.objects.filter(year=case.round.year, county=case.county)
                    .values_list("school__code", "location"))
    strata = load_workflow().sampling.strata
    out = []
    for sec in entry["sections"]:
        for s in sec["schools"]:
            parts = {"section": sec["section"], "location": location.get(s["code"], "unknown"), "kind": s.get("kind", "")}
            failing = s.get("school_pass") is False or any(v is False for v in (s.get("passed") or {}).values())
            out.append(Unit(s["code"], s["name"], sec["section"], "/".join(parts[k] for k in strata), failing))
    return sorted(out, key=lambda u: (u.stratum, u.code, u.section))


def draw(units: list[Unit], seed: int) -> list[tuple[Unit, str]]:
    """The sample for a seed: failing units always, then random units until each stratum has its share."""
    cfg = load_workflow().sampling
    rng = np.random.default_rng(seed)
    chosen: list[tuple[Unit, str]] = []
    for stratum in sorted({u.stratum for u in units}):
        members = [u for u in units if u.stratum == stratum]
        forced = [u for u in members if u.failing] if cfg.always == "failing" else []
        need = min(len(members), max(math.ceil(cfg.min_share * len(members)), cfg.min_per_stratum))
        rest = [u for u in members if u not in forced]
        extra = max(need - len(forced), 0)
        picks = rng.choice(len(rest), size=min(extra, len(rest)), replace=False) if rest and extra else []
        chosen += [(u, "failing") for u in forced] + [(rest[int(i)], "random") for i in sorted(picks)]
    return chosen


@transaction.atomic
def draw_sample(case: Case, seed: int | None = None) -> list[SampledSchool]:
    """Draws (or redraws) a case's sample; the seed is recorded on the case."""
    seed = case.sample_seed if seed is None and case.sample_seed is not None else seed
    if seed is None:
        seed = secrets.randbits(48)
    Case.objects.filter(pk=case.pk).update(sample_seed=seed)
    case.sample_seed = seed
    SampledSchool.objects.filter(case=case).delete()
    rows = [SampledSchool(case=case, school_code=u.code, school_name=u.name, section=u.section, stratum=u.stratum,
                          reason=reason, seed=seed) for u, reason in draw(population(case), seed)]
    SampledSchool.objects.bulk_create(rows)
    return rows
