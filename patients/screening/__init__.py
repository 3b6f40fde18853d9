"""The screening engine: may this patient be microneedled, and if not, why not.

DESIGN.md §4.2 in code. Every rule comes from a row of the clinical reference's table §1.2
(or §1.1 for off-label areas), and its outcome from the reference's "Clinician-judgement vs
automatic block" summary:

- ``blocked``: the session cannot be booked or performed;
- ``defer``: not before ``defer_until``; the check at the next visit asks again;
- ``review``: a practitioner must sign off with a reason (the sign-off is stored outside
  the engine);
- ``advise``: information for the plan; it never gates a session;
- ``cleared``: no findings, or only advice.

Windows the reference marks [Conv] or [Inference] are clinic policy: they live in
:class:`Policy`, with the reference's values as defaults.

Pure Python on purpose: it takes cleaned answers (see ``patients.vocabulary``), the planned
areas, the patient's age and ``today``, and returns plain data. No Django, no clock.
"""

from .engine import screen
from .outcomes import (
    ADVISE,
    BLOCKED,
    CLEARED,
    DEFAULT_POLICY,
    DEFER,
    ON_LABEL_AREAS,
    OVERRIDABLE_DEFERS,
    REVIEW,
    RULE_ORDER,
    RULE_REFERENCES,
    RULESET_VERSION,
    Finding,
    Policy,
    Result,
    add_months,
    age_on,
    format_date,
)

__all__ = [
    "ADVISE",
    "BLOCKED",
    "CLEARED",
    "DEFAULT_POLICY",
    "DEFER",
    "ON_LABEL_AREAS",
    "OVERRIDABLE_DEFERS",
    "REVIEW",
    "RULE_ORDER",
    "RULE_REFERENCES",
    "RULESET_VERSION",
    "Finding",
    "Policy",
    "Result",
    "add_months",
    "age_on",
    "format_date",
    "screen",
]
