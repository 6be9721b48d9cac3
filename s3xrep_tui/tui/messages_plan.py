"""Messages of the options and preview screens' workers.

A worker never touches widgets: it posts one of these with the ``generation``
it was started for, and the screen ignores any answer that is not for its
current generation (the options changed since, so a newer result is coming
or already shown).
"""

from __future__ import annotations

from textual.message import Message

from ..aws.errors import AwsError
from ..core.models import Plan, PlanInputs


class InputsGathered(Message):
    """Both buckets (and what the options name) were inspected, and the plan built from them."""

    def __init__(self, generation: int, inputs: PlanInputs, plan: Plan) -> None:
        super().__init__()
        self.generation = generation
        self.inputs = inputs
        self.plan = plan


class InputsFailed(Message):
    """Inspecting failed: ``error`` says why and how to fix it."""

    def __init__(self, generation: int, error: AwsError) -> None:
        super().__init__()
        self.generation = generation
        self.error = error
