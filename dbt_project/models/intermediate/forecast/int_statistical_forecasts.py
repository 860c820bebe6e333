"""Statistical forecast of monthly revenue and bookings per scope, chosen per series by back-test.

For every series of int_forecast_history (measure, level, scope_id) and every quarter of
int_forecast_periods, a forecast is made at the quarter's origin_date from the months complete
by then (month_end <= origin_date; the series starts at its first month with data, so months
before it are never read as zeros):

- naive: the last complete month repeated (a benchmark);
- seasonal_naive: the same calendar month a year earlier (a benchmark; null unless that month
  is in the history);
- the statistical forecast: an ETS model of statsmodels (additive errors), one of
  ets_level (simple exponential smoothing; var forecast_min_months months of history),
  ets_damped_trend (+ damped additive trend; FORECAST_TREND_MIN_MONTHS) and
  ets_damped_trend_seasonal (+ additive yearly seasonality; var forecast_seasonal_min_months),
  chosen per series and origin by back-test: among the models the history allows, the one
  with the smallest mean absolute error of its quarter forecasts over the last
  FORECAST_SELECTION_QUARTERS quarters that ended by the origin (forecast, as here, at each
  quarter's own origin) that every such model forecast; with fewer than two such quarters the
  richest model the history allows without seasonality (ets_damped_trend, else ets_level).
  The point forecast is the model's mean; the interval holds var forecast_interval_level of
  FORECAST_SIMULATIONS simulated paths (seeded, so reruns give the same figures), for a quarter
  of the sums of its three months. Forecasts and bounds below 0 are 0 (an amount is never
  negative).

One row per series, period (the quarter and each of its months) and origin, for every quarter
whose origin comes after the series' first month; forecast columns null with fewer than var
forecast_min_months months of history. A quarter row also holds what every candidate model
forecast for it (candidate_forecasts, JSON), which later origins' choice reads.

Fits are reused from the previous build: every row carries fit_key, a digest of everything its
figures follow from (the series' history up to the origin, the periods, the vars, the models
and this code, statsmodels' version); a series and origin whose fit_key is in the table this
build replaces takes its rows from there instead of fitting again. A night changes the history
of few (series, origin) pairs, mostly the latest origin, so it fits those only; the figures are
those of a fit from scratch (the fits are seeded), which tests/transform/test_sales_forecast.py
checks.
"""

import hashlib
import json
import types
import warnings

import numpy as np
import pandas as pd

#: Months of history from which the damped-trend model is a candidate.
FORECAST_TREND_MIN_MONTHS = 10
#: Past quarters a model's back-test error is measured over when choosing.
FORECAST_SELECTION_QUARTERS = 4
#: Simulated paths behind each prediction interval.
FORECAST_SIMULATIONS = 1000

MODELS = {
    "ets_level": {},
    "ets_damped_trend": {"trend": "add", "damped_trend": True},
    "ets_damped_trend_seasonal": {
        "trend": "add",
        "damped_trend": True,
        "seasonal": "add",
        "seasonal_periods": 12,
    },
}

COLUMNS = [
    "measure",
    "level",
    "scope_id",
    "forecast_quarter",
    "origin_date",
    "period_type",
    "period",
    "period_start",
    "period_end",
    "history_months",
    "method",
    "forecast",
    "forecast_lower",
    "forecast_upper",
    "naive_forecast",
    "seasonal_naive_forecast",
    "candidate_forecasts",
    "fit_key",
]


def _month_index(d) -> int:
    return d.year * 12 + d.month


def _eligible(n: int, min_months: int, seasonal_min_months: int) -> list[str]:
    out = []
    if n >= min_months:
        out.append("ets_level")
    if n >= max(min_months, FORECAST_TREND_MIN_MONTHS):
        out.append("ets_damped_trend")
    if n >= max(min_months, seasonal_min_months, 24):
        out.append("ets_damped_trend_seasonal")
    return out


def fit_ets(history: np.ndarray, method: str, steps: int, level: float, seed: int):
    """Mean forecast (steps,) and simulated paths (steps, FORECAST_SIMULATIONS) of one model."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ETSModel(history, error="add", **MODELS[method]).fit(disp=False)
        mean = np.asarray(result.forecast(steps), dtype=float)
        paths = np.asarray(
            result.simulate(
                steps,
                anchor="end",
                repetitions=FORECAST_SIMULATIONS,
                rng=np.random.default_rng(seed),
            ),
            dtype=float,
        ).reshape(steps, FORECAST_SIMULATIONS)
    return mean, paths


def _choose(candidates, past_errors, quarters_done) -> str:
    """The candidate with the smallest back-test MAE over the recent quarters all of them have."""
    shared = [q for q in quarters_done if all(q in past_errors.get(m, {}) for m in candidates)]
    shared = shared[-FORECAST_SELECTION_QUARTERS:]
    if len(shared) >= 2:
        return min(
            candidates,
            key=lambda m: (np.mean([past_errors[m][q] for q in shared]), candidates.index(m)),
        )
    plain = [m for m in candidates if m != "ets_damped_trend_seasonal"]
    return plain[-1]


def forecast_series(
    months: pd.DataFrame,
    periods: pd.DataFrame,
    *,
    min_months: int,
    seasonal_min_months: int,
    level: float,
    seed: int = 0,
    previous: dict[str, list[dict]] | None = None,
    salt: str = "",
) -> list[dict]:
    """Forecast rows of one series (months: month_start, month_end, amount; sorted).

    ``previous``: rows of an earlier build by fit_key, taken instead of fitting again;
    ``salt``: what else the figures follow from (the model's settings and code)."""
    previous = previous or {}
    starts = list(months["month_start"])
    ends = list(months["month_end"])
    values = np.asarray(months["amount"], dtype=float)
    by_index = {_month_index(s): v for s, v in zip(starts, values, strict=True)}
    first_index = _month_index(starts[0])
    alpha = (1 - level) / 2
    rows: list[dict] = []
    past_errors: dict[str, dict[str, float]] = {}
    quarters_done: list[str] = []
    quarter_actual: dict[str, float] = {}
    quarter_end_of: dict[str, object] = {}
    for _, group in periods.groupby("quarter_start", sort=True):
        first = group.iloc[0]
        origin = first["origin_date"]
        n = sum(1 for e in ends if e <= origin)
        if n == 0:
            continue
        history = values[:n]
        last = _month_index(starts[n - 1])
        month_rows = group[group["period_type"] == "month"].sort_values("period_start")
        targets = [_month_index(d) for d in month_rows["period_start"]]
        steps = max(targets) - last
        # quarters that ended by this origin: their actual and the back-test errors so far
        for q in list(quarter_end_of):
            if q not in quarters_done and quarter_end_of[q] <= origin and q in quarter_actual:
                quarters_done.append(q)
        q_row = group[group["period_type"] == "quarter"].iloc[0]
        key = q_row["period"]
        quarter_end_of[key] = q_row["period_end"]
        if all(t in by_index for t in targets):
            quarter_actual[key] = float(sum(by_index[t] for t in targets))
        fit_key = _fit_key(salt, history, first_index, group)
        if fit_key in previous:
            rows.extend(previous[fit_key])
            quarter = next(r for r in previous[fit_key] if r["period_type"] == "quarter")
            _record_errors(past_errors, key, quarter_actual, quarter["candidate_forecasts"])
            continue
        candidates = _eligible(n, min_months, seasonal_min_months)
        method = _choose(candidates, past_errors, quarters_done) if candidates else None
        fits = {}
        for m in candidates:
            try:
                fits[m] = fit_ets(history, m, steps, level, seed)
            except (ValueError, np.linalg.LinAlgError):
                continue  # e.g. a constant history: the model cannot be estimated
        if method not in fits:
            method = next((m for m in reversed(candidates) if m in fits), None)
        naive = [float(history[-1])] * len(targets)
        # a year earlier, when that month is in the history known at the origin
        seasonal = [
            float(by_index[t - 12]) if first_index <= t - 12 <= last else None for t in targets
        ]
        positions = [t - last - 1 for t in targets]
        chosen = fits.get(method)
        base = dict(
            measure=first["measure"],
            level=first["level"],
            scope_id=first["scope_id"],
            forecast_quarter=first["forecast_quarter"],
            origin_date=origin,
            history_months=n,
            method=method,
            fit_key=fit_key,
        )

        def point(pos_list, fit):
            mean, paths = fit
            total = float(mean[pos_list].sum())
            sums = paths[pos_list].sum(axis=0)
            lo, hi = np.quantile(sums, [alpha, 1 - alpha])
            return max(total, 0.0), max(float(lo), 0.0), max(float(hi), 0.0)

        for i, (_, r) in enumerate(month_rows.iterrows()):
            f = point([positions[i]], chosen) if chosen else (None, None, None)
            rows.append(
                dict(
                    base,
                    period_type="month",
                    period=r["period"],
                    period_start=r["period_start"],
                    period_end=r["period_end"],
                    forecast=f[0],
                    forecast_lower=f[1],
                    forecast_upper=f[2],
                    naive_forecast=naive[i],
                    seasonal_naive_forecast=seasonal[i],
                )
            )
        f = point(positions, chosen) if chosen else (None, None, None)
        # what every candidate forecast for the quarter: the back-test later origins choose by
        candidate_forecasts = json.dumps({m: point(positions, fit)[0] for m, fit in fits.items()})
        rows.append(
            dict(
                base,
                period_type="quarter",
                period=q_row["period"],
                period_start=q_row["period_start"],
                period_end=q_row["period_end"],
                forecast=f[0],
                forecast_lower=f[1],
                forecast_upper=f[2],
                naive_forecast=sum(naive),
                seasonal_naive_forecast=None if None in seasonal else sum(seasonal),
                candidate_forecasts=candidate_forecasts,
            )
        )
        _record_errors(past_errors, key, quarter_actual, candidate_forecasts)
    return rows


def _record_errors(past_errors, quarter, quarter_actual, candidate_forecasts) -> None:
    """The quarter's back-test record (read by later origins once the quarter has ended)."""
    if quarter in quarter_actual:
        for m, forecast in json.loads(candidate_forecasts).items():
            past_errors.setdefault(m, {})[quarter] = abs(forecast - quarter_actual[quarter])


def _code_digest(*functions) -> str:
    """A digest of the functions' code (not of where it was loaded from)."""
    digest = hashlib.sha256()

    def add(code: types.CodeType) -> None:
        digest.update(code.co_code)
        digest.update(repr(code.co_names).encode())
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                add(const)
            else:
                digest.update(repr(const).encode())

    for function in functions:
        add(function.__code__)
    return digest.hexdigest()


def _fit_key(salt: str, history: np.ndarray, first_index: int, group: pd.DataFrame) -> str:
    """What one origin's rows follow from: the series, the history known then and the periods
    forecast."""
    periods = group.sort_values(["period_type", "period_start"])[
        ["measure", "level", "scope_id", "period_type", "period", "period_start", "period_end"]
        + ["origin_date", "forecast_quarter"]
    ]
    digest = hashlib.sha256(salt.encode())
    digest.update(np.asarray(history, dtype=float).tobytes())
    digest.update(repr((first_index, periods.astype(str).values.tolist())).encode())
    return digest.hexdigest()


def _previous_rows(session, this) -> dict[str, list[dict]]:
    """The rows of the table this build replaces, by fit_key (none on a first build)."""
    try:
        frame = session.sql(f"select * from {this}").df()
    except Exception:  # noqa: BLE001 - no table yet, or one from before fit_key existed
        return {}
    if "fit_key" not in frame.columns or "candidate_forecasts" not in frame.columns:
        return {}
    for c in ["origin_date", "period_start", "period_end"]:
        frame[c] = pd.to_datetime(frame[c]).dt.date
    frame = frame.astype(object).where(frame.notna(), None)
    previous: dict[str, list[dict]] = {}
    for row in frame[COLUMNS].to_dict("records"):
        previous.setdefault(row["fit_key"], []).append(row)
    return previous


def model(dbt, session):
    dbt.config(materialized="table")
    min_months = int(dbt.config.get("forecast_min_months"))
    seasonal_min_months = int(dbt.config.get("forecast_seasonal_min_months"))
    level = float(dbt.config.get("forecast_interval_level"))
    history = dbt.ref("int_forecast_history").df()
    periods = dbt.ref("int_forecast_periods").df()
    for frame, cols in (
        (history, ["month_start", "month_end"]),
        (periods, ["quarter_start", "quarter_end", "origin_date", "period_start", "period_end"]),
    ):
        for c in cols:
            frame[c] = pd.to_datetime(frame[c]).dt.date
    import statsmodels

    salt = json.dumps(
        [
            min_months,
            seasonal_min_months,
            level,
            FORECAST_TREND_MIN_MONTHS,
            FORECAST_SELECTION_QUARTERS,
            FORECAST_SIMULATIONS,
            MODELS,
            statsmodels.__version__,
            _code_digest(forecast_series, fit_ets, _choose, _eligible, _record_errors, _fit_key),
        ]
    )
    previous = _previous_rows(session, dbt.this)
    rows: list[dict] = []
    keys = ["measure", "level", "scope_id"]
    for key, months in history.sort_values(keys + ["month_start"]).groupby(keys, sort=True):
        series_periods = periods.assign(measure=key[0], level=key[1], scope_id=key[2])
        rows.extend(
            forecast_series(
                months,
                series_periods,
                min_months=min_months,
                seasonal_min_months=seasonal_min_months,
                level=level,
                previous=previous,
                salt=salt,
            )
        )
    out = pd.DataFrame(rows, columns=COLUMNS)
    for c in [
        "forecast",
        "forecast_lower",
        "forecast_upper",
        "naive_forecast",
        "seasonal_naive_forecast",
    ]:
        out[c] = out[c].astype("float64")
    out["history_months"] = out["history_months"].astype("int64")
    return out
