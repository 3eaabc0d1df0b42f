"""Learning-rate halving when the convergence measure M stalls, with a floor.

M is noisy from step to step, so the rule compares means over windows of steps: when
``patience`` steps pass without a window mean below the best one so far (by a relative
``threshold``), every optimiser's lr is halved in place, never below ``lr_min``. Changing
``param_group["lr"]`` keeps Adam's moment estimates, unlike recreating the optimiser.
"""

from __future__ import annotations

import math

import torch


class PlateauHalving:
    """Halve the lr of ``optimizers`` after ``patience`` steps without a better mean M."""

    def __init__(
        self,
        optimizers: list[torch.optim.Optimizer],
        lr: float,
        patience: int,
        lr_min: float,
        window: int = 100,
        threshold: float = 1e-3,
    ):
        self.optimizers = optimizers
        self.lr = lr
        self.patience = patience
        self.lr_min = lr_min
        self.window = max(1, min(window, patience))
        self.threshold = threshold
        self.best = math.inf
        self.steps_since_best = 0
        self.window_sum = 0.0
        self.window_count = 0

    def step(self, measure: torch.Tensor | float) -> None:
        """Record one step's M; the device is only read once per window."""
        self.window_sum = self.window_sum + measure
        self.window_count += 1
        if self.window_count == self.window:
            self._end_window(float(self.window_sum) / self.window_count)

    def _end_window(self, mean: float) -> None:
        self.window_sum, self.window_count = 0.0, 0
        if mean < self.best * (1.0 - self.threshold):
            self.best, self.steps_since_best = mean, 0
            return
        self.steps_since_best += self.window
        if self.steps_since_best >= self.patience:
            self._halve()
            self.steps_since_best = 0

    def _halve(self) -> None:
        self.lr = max(self.lr * 0.5, self.lr_min)
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                group["lr"] = self.lr

    def state_dict(self) -> dict:
        return {
            "lr": self.lr,
            "best": self.best,
            "steps_since_best": self.steps_since_best,
            "window_sum": float(self.window_sum),
            "window_count": self.window_count,
        }

    def load_state_dict(self, state: dict) -> None:
        self.lr = float(state["lr"])
        self.best = float(state["best"])
        self.steps_since_best = int(state["steps_since_best"])
        self.window_sum = float(state["window_sum"])
        self.window_count = int(state["window_count"])
