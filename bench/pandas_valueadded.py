"""The straightforward pandas/numpy version of the value-added estimator (baseline for the benchmark).

The same estimator as ``dudao.engine.valueadded`` written the obvious way: demean every row by its
school's means with ``groupby().transform``, least squares on the demeaned rows, school mean residuals,
DerSimonian–Laird τ², shrinkage. Returns one row per school (index: school code).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def estimate_pandas(path: str, covariates: list[str], min_students: int, z: float = 1.959963984540054) -> pd.DataFrame:
    df = pd.read_parquet(path)
    df["school_code"] = df["school_code"].astype(str)
    cols = ["pre", *covariates]
    df = df.dropna(subset=["pre", "post", *covariates])
    g = df.groupby("school_code", sort=True)
    demeaned_x = df[cols] - g[cols].transform("mean")
    demeaned_y = df["post"] - g["post"].transform("mean")
    x = demeaned_x.to_numpy()
    beta, *_ = np.linalg.lstsq(x, demeaned_y.to_numpy(), rcond=None)
    resid = demeaned_y.to_numpy() - x @ beta
    n = g.size()
    sigma2 = float((resid ** 2).sum() / (len(df) - len(n) - len(cols)))
    means = g[[*cols, "post"]].mean()
    d = means["post"] - means[cols].to_numpy() @ beta
    xc = means[cols] - df[cols].mean()
    v_beta = sigma2 * np.linalg.inv(x.T @ x)
    s2 = sigma2 / n + np.einsum("ji,ik,jk->j", xc.to_numpy(), v_beta, xc.to_numpy())
    ok = n >= min_students
    w = 1 / s2[ok]
    dw = (w * d[ok]).sum() / w.sum()
    q = (w * (d[ok] - dw) ** 2).sum()
    tau2 = max(0.0, (q - (ok.sum() - 1)) / (w.sum() - (w * w).sum() / w.sum()))
    ws = 1 / (tau2 + s2[ok])
    alpha = (ws * d[ok]).sum() / ws.sum()
    lam = tau2 / (tau2 + s2)
    est = lam * (d - alpha)
    se = np.sqrt(lam * s2 + lam * lam / ws.sum())
    out = pd.DataFrame({"matched": n, "estimate": est.where(ok), "se": se.where(ok)})
    out["lower"], out["upper"] = out.estimate - z * out.se, out.estimate + z * out.se
    out["band"] = np.where(~ok, "refused", np.where(out.lower > 0, "above", np.where(out.upper < 0, "below", "expected")))
    out.attrs.update(tau2=tau2, sigma2=sigma2, beta=beta)
    return out
