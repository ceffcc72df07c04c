"""A fitted linear model applied with numpy: the runtime half of what the fitting scripts make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from coach.sentences import lexical_matrix, softmax


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Multinomial logistic regression (or a ridge regression when `classes` is empty)."""

    classes: tuple[str, ...]
    coef: np.ndarray  # (n_classes, n_features) or (n_features,)
    intercept: np.ndarray
    vocabulary: dict[str, int]
    uses_embedding: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearModel:
        return cls(tuple(data.get("classes", ())), np.asarray(data["coef"], dtype=np.float32),
                   np.asarray(data["intercept"], dtype=np.float32), dict(data.get("vocabulary", {})),
                   bool(data.get("uses_embedding", False)))

    def features(self, texts: list[str], vectors: np.ndarray | None) -> np.ndarray:
        lexical = lexical_matrix(texts, self.vocabulary)
        if self.uses_embedding:
            assert vectors is not None
            return np.hstack([vectors.astype(np.float32), lexical])
        return lexical

    def proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(x @ self.coef.T + self.intercept)

    def predict_value(self, x: np.ndarray) -> np.ndarray:
        return x @ self.coef + self.intercept
