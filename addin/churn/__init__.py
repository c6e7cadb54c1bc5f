"""Churn: cohort retention, who was lost and when, why they left, whom to win back, and the
revenue forecast. Pure routines over pandas objects (no Excel, no files); every door (the
``Retention``, ``Churn`` and ``Forecast`` sheets, the worksheet functions) calls these.

One module per concept: :mod:`.retention` (acquisition-month cohorts), :mod:`.loss` (the loss
rule, churn rates, Wilson intervals), :mod:`.reasons` (lost vs retained: tests, effect sizes,
logistic regression), :mod:`.winback` (the win-back list), :mod:`.forecast` (BG/NBD x
Gamma-Gamma portfolio forecast, exponential-smoothing baseline, backtest); their Settings keys
are read by :mod:`.settings`, the shared purchase history is :mod:`.history`.
"""
