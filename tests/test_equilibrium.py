import pytest
import torch

from began.equilibrium import EquilibriumController, convergence_measure, reconstruction_loss


def test_reconstruction_loss_l1_and_l2_by_hand():
    images = torch.tensor([[[[0.5, -1.0], [0.0, 1.0]]]])
    recon = torch.tensor([[[[0.0, -0.5], [0.0, 0.0]]]])
    # |diff| = 0.5, 0.5, 0, 1  -> L1 mean 0.5, L2 mean (0.25 + 0.25 + 0 + 1) / 4
    assert reconstruction_loss(images, recon, p=1).item() == pytest.approx(0.5)
    assert reconstruction_loss(images, recon, p=2).item() == pytest.approx(0.375)


def test_reconstruction_loss_passes_gradient_to_both_arguments():
    images = torch.zeros(1, 1, 2, 2, requires_grad=True)
    recon = torch.ones(1, 1, 2, 2, requires_grad=True)
    reconstruction_loss(images, recon).backward()
    assert torch.allclose(images.grad, torch.full_like(images, -0.25))
    assert torch.allclose(recon.grad, torch.full_like(recon, 0.25))


def test_controller_step_by_hand():
    controller = EquilibriumController(gamma=0.5, lambda_k=0.001)
    assert controller.k.item() == 0.0
    measure = controller.update(torch.tensor(0.4), torch.tensor(0.1))
    # k = 0 + 0.001 * (0.5 * 0.4 - 0.1) = 1e-4; M = 0.4 + |0.2 - 0.1| = 0.5
    assert controller.k.item() == pytest.approx(1e-4)
    assert measure.item() == pytest.approx(0.5)
    loss_d = controller.discriminator_loss(torch.tensor(0.4), torch.tensor(0.3))
    assert loss_d.item() == pytest.approx(0.4 - 1e-4 * 0.3)


def test_controller_clamps_k_to_unit_interval_in_storage():
    controller = EquilibriumController(gamma=1.0, lambda_k=0.5)
    for _ in range(10):
        controller.update(torch.tensor(1.0), torch.tensor(0.0))
    assert controller.k.item() == 1.0
    for _ in range(10):
        controller.update(torch.tensor(0.0), torch.tensor(1.0))
    assert controller.k.item() == 0.0


def test_convergence_measure_by_hand():
    m = convergence_measure(torch.tensor(0.2), torch.tensor(0.3), gamma=0.7)
    assert m.item() == pytest.approx(0.2 + abs(0.14 - 0.3))


def test_controller_state_round_trip_and_refuses_out_of_range():
    controller = EquilibriumController(0.5, 0.01)
    controller.update(torch.tensor(0.9), torch.tensor(0.1))
    restored = EquilibriumController(0.5, 0.01)
    restored.load_state_dict(controller.state_dict())
    assert restored.k.item() == controller.k.item()
    with pytest.raises(ValueError, match="outside"):
        restored.load_state_dict({"k": torch.tensor(1.5)})
