"""The base of every settings model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Model"]


class Model(BaseModel):
    """Base of every settings model: unknown keys are errors, values never change, and a number
    is finite (`.inf` would switch a timeout or a bound off without saying so)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
