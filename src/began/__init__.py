"""began: train, use and evaluate Boundary Equilibrium GANs (arXiv 1703.10717)."""

__version__ = "0.1.0"
