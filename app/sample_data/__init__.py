"""Deterministic sample data: realistic Chinese and English customers, products, agents,
years of tickets with events and ratings, contacts and sessions.

``generate(engine, customers=N, seed=S)`` for any size; ``generate_preset(engine, "demo")``
for the demo; ``main(argv)`` behind ``tandem-hub sample-data``.
"""

from app.sample_data.build import (
    DEMO_CUSTOMER_CODE,
    PRESETS,
    GenerateReport,
    SampleDataError,
    generate,
    generate_preset,
)
from app.sample_data.cli import main

__all__ = ["DEMO_CUSTOMER_CODE", "PRESETS", "GenerateReport", "SampleDataError", "generate",
           "generate_preset", "main"]
