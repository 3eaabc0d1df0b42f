"""The boundary-equilibrium maths: the autoencoder loss, the players' losses, k_t and M.

With L(v) = mean |v - D(v)|^p over pixels (arXiv 1703.10717, eq. 1):

    L_D = L(x) - k_t L(G(z_D))             minimised over D
    L_G = L(G(z_G))                        minimised over G
    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1)
    M_global = L(x) + |gamma L(x) - L(G(z_G))|

k_t and M are kept as 0-d tensors on the training device so that a step never waits for
the device to report them; the trainer reads them only when it logs.
"""

from __future__ import annotations

import torch


def reconstruction_loss(images: torch.Tensor, recon: torch.Tensor, p: int = 1) -> torch.Tensor:
    """L(v): mean over all pixels and images of |v - D(v)|^p, computed in float32.

    Both arguments keep their gradients: the generator learns through ``recon`` *and* through
    ``images`` (its own output), which is where some public ports cut the graph by mistake.
    """
    diff = (images.float() - recon.float()).abs()
    return diff.mean() if p == 1 else diff.pow(p).mean()


def convergence_measure(loss_real: torch.Tensor, loss_fake: torch.Tensor, gamma: float):
    """M_global = L(x) + |gamma L(x) - L(G(z))|; falls as the generator improves."""
    return loss_real + (gamma * loss_real - loss_fake).abs()


class EquilibriumController:
    """The proportional controller k_t that keeps E[L(G(z))] = gamma E[L(x)]."""

    def __init__(self, gamma: float, lambda_k: float, device: torch.device | str = "cpu"):
        self.gamma = gamma
        self.lambda_k = lambda_k
        self.k = torch.zeros((), device=device)

    def discriminator_loss(self, loss_real: torch.Tensor, loss_fake: torch.Tensor):
        """L_D = L(x) - k_t L(G(z_D)). k_t is a constant here, not a parameter."""
        return loss_real - self.k * loss_fake

    @torch.no_grad()
    def update(self, loss_real: torch.Tensor, loss_fake: torch.Tensor) -> torch.Tensor:
        """Advance k_t by one step and return M_global for this step (both stay on device)."""
        loss_real, loss_fake = loss_real.detach().float(), loss_fake.detach().float()
        balance = self.gamma * loss_real - loss_fake
        self.k = (self.k + self.lambda_k * balance).clamp_(0.0, 1.0)
        return convergence_measure(loss_real, loss_fake, self.gamma)

    def state_dict(self) -> dict:
        return {"k": self.k.detach().cpu().clone()}

    def load_state_dict(self, state: dict) -> None:
        k = float(state["k"])
        if not 0.0 <= k <= 1.0:
            raise ValueError(f"stored k_t = {k} lies outside [0, 1]")
        self.k = torch.tensor(k, device=self.k.device)
