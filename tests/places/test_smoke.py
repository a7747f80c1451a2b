from dudao.places.services import county_plan, province_plan


def test_county_plan(province):
    doc = county_plan("210521", 10)
    import json
    print(json.dumps({k: doc[k] for k in ("projection", "sections", "parameters", "backtest")}, ensure_ascii=False)[:3000])
    print(doc["schools"][0])
    print(doc["small_schools"][:2])
    print(doc["zones"][:1])
    pp = province_plan("210000", 10)
    print(pp["counties"][0])
