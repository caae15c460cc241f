"""The base of every settings model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Model"]


class Model(BaseModel):
    """Base of every settings model: unknown keys are errors and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
