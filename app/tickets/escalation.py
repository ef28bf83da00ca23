"""Escalation rules: the first active rule (lowest position) whose criteria all match wins."""

from __future__ import annotations

from collections.abc import Iterable

from app.routing.models import EscalationRule
from app.tickets.types import EscalationFacts

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
LEVEL_ORDER = ("L1", "L2", "L3")


def next_level(level: str) -> str:
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[min(i + 1, len(LEVEL_ORDER) - 1)]


def matches(rule: EscalationRule, facts: EscalationFacts) -> bool:
    checks = (
        rule.active,
        rule.from_level == facts.level,
        rule.product_id is None or rule.product_id == facts.product_id,
        rule.module_id is None or rule.module_id == facts.module_id,
        rule.tier is None or rule.tier == facts.tier,
        rule.classification is None or rule.classification == facts.classification,
        rule.min_priority is None
        or PRIORITY_RANK.get(facts.priority, 1) >= PRIORITY_RANK.get(rule.min_priority, 1),
    )
    return all(checks)


def first_match(rules: Iterable[EscalationRule], facts: EscalationFacts) -> EscalationRule | None:
    for rule in sorted(rules, key=lambda r: (r.position, r.id)):
        if matches(rule, facts):
            return rule
    return None
