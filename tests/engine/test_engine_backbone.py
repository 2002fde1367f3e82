"""Spec section 2: the backbones, the cross-correlation and the response BatchNorm."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from engine_support import default_net, np_xcorr, small_net
from tracker.backbone import AlexNetBackbone, MobileNetV2Backbone, fuse_conv_bn, xcorr


@pytest.fixture(scope="module")
def alexnet() -> AlexNetBackbone:
    torch.manual_seed(0)
    return AlexNetBackbone().eval()


def test_alexnet_layer_table(alexnet):
    """Every conv: kernel/stride/out channels of the table, VALID, with bias, dense (groups 1)."""
    convs = [m for m in alexnet.modules() if isinstance(m, nn.Conv2d)]
    table = [(11, 2, 96), (5, 1, 256), (3, 1, 384), (3, 1, 384), (3, 1, 256)]
    assert [(c.kernel_size[0], c.stride[0], c.out_channels) for c in convs] == table
    for c in convs:
        assert c.groups == 1
        assert c.padding == (0, 0)
        assert c.bias is not None
        assert torch.count_nonzero(c.bias) == 0  # zero-initialised biases
    # about 3.75 M conv weights once nothing is grouped
    n_weights = sum(c.weight.numel() for c in convs)
    assert 3.7e6 < n_weights < 3.8e6
    # Glorot-uniform: |w| <= sqrt(6 / (fan_in + fan_out))
    for c in convs:
        fan_in = c.in_channels * c.kernel_size[0] * c.kernel_size[1]
        fan_out = c.out_channels * c.kernel_size[0] * c.kernel_size[1]
        bound = (6.0 / (fan_in + fan_out)) ** 0.5
        assert float(c.weight.detach().abs().max()) <= bound + 1e-7
        assert float(c.weight.detach().abs().max()) > 0.9 * bound


def test_alexnet_batchnorm_and_linear_conv5(alexnet):
    """BN after conv1-4 with TF defaults (eps 1e-3, decay 0.99 -> momentum 0.01, gamma 1, beta 0);
    conv5 is linear: the network ends on the conv."""
    mods = list(alexnet.features)
    bns = [m for m in mods if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 4
    for bn in bns:
        assert bn.eps == pytest.approx(1e-3)
        assert bn.momentum == pytest.approx(0.01)
        assert torch.all(bn.weight == 1) and torch.all(bn.bias == 0)
    assert isinstance(mods[-1], nn.Conv2d)
    # conv -> BN -> ReLU for conv1..conv4
    for i, m in enumerate(mods[:-1]):
        if isinstance(m, nn.Conv2d):
            assert isinstance(mods[i + 1], nn.BatchNorm2d) and isinstance(mods[i + 2], nn.ReLU)


def test_alexnet_shapes_per_layer(alexnet):
    """Output sizes z -> x of the spec table: 59/123, 29/61, 25/57, 12/28, 10/26, 8/24, 6/22."""
    expected = [(59, 123), (29, 61), (25, 57), (12, 28), (10, 26), (8, 24), (6, 22)]
    sizes: dict[int, list[int]] = {127: [], 255: []}
    watched = [m for m in alexnet.features if isinstance(m, (nn.Conv2d, nn.MaxPool2d))]
    for side in (127, 255):
        hooks = [m.register_forward_hook(lambda _m, _i, o, s=side: sizes[s].append(o.shape[-1]))
                 for m in watched]
        with torch.no_grad():
            out = alexnet(torch.rand(1, 3, side, side))
        for h in hooks:
            h.remove()
        n = expected[-1][0 if side == 127 else 1]
        assert out.shape == (1, 256, n, n)
    assert list(zip(sizes[127], sizes[255])) == expected
    # template 6x6 against search 22x22 gives a 17x17 response
    net = small_net("alexnet")
    with torch.no_grad():
        t = net.embed_exemplar(torch.rand(1, 3, 127, 127))
        x = net.embed_search(torch.rand(1, 3, 255, 255))
    assert t.shape == (1, 256, 6, 6) and x.shape == (1, 256, 22, 22)
    assert xcorr(x, t).shape == (1, 1, 17, 17)


def test_mobilenet_shapes():
    """Dilated MobileNetV2 at stride 8: 127 -> 16x16, 255 -> 32x32, centre 7x7 template, 26x26 response."""
    net, _ = default_net()
    assert isinstance(net.backbone, MobileNetV2Backbone)
    z = torch.rand(1, 3, 127, 127)
    with torch.no_grad():
        fz = net.backbone(z)
        fx = net.backbone(torch.rand(1, 3, 255, 255))
        t = net.embed_exemplar(z)
    assert fz.shape == (1, 96, 16, 16)
    assert fx.shape == (1, 96, 32, 32)
    assert t.shape == (1, 96, 7, 7)
    assert xcorr(fx, t).shape == (1, 1, 26, 26)
    # the template is the centre 7x7 cells 5..11 of the exemplar map, through the neck when there is one
    torch.testing.assert_close(net.backbone_exemplar(z), fz[:, :, 5:12, 5:12])
    with torch.no_grad():
        torch.testing.assert_close(t, net.neck(fz[:, :, 5:12, 5:12]))
    # stride 8 overall: no layer after block 6 halves the map
    strided = [m for m in net.backbone.modules() if isinstance(m, nn.Conv2d) and m.stride[0] == 2]
    assert len(strided) == 3


def test_xcorr_equals_per_sample_conv_loop():
    torch.manual_seed(1)
    x = torch.randn(3, 5, 12, 12)
    z = torch.randn(3, 5, 4, 4)
    out = xcorr(x, z)
    assert out.shape == (3, 1, 9, 9)
    for b in range(3):
        ref = F.conv2d(x[b : b + 1], z[b : b + 1])  # (1, 1, 9, 9): correlation, no flip
        torch.testing.assert_close(out[b : b + 1], ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(out[b, 0].numpy(), np_xcorr(x[b].double().numpy(), z[b].double().numpy()),
                                   rtol=1e-4, atol=1e-4)


def test_bn_response_defaults_and_eval_affine():
    """One-channel BN, eps 1e-3, momentum 0.01; in eval a fixed affine a R + b."""
    torch.manual_seed(2)
    net = small_net("alexnet")
    bn = net.bn_response
    assert isinstance(bn, nn.BatchNorm2d) and bn.num_features == 1
    assert bn.eps == pytest.approx(1e-3) and bn.momentum == pytest.approx(0.01)
    probe = nn.BatchNorm2d(1, eps=1e-3, momentum=0.01).eval()
    probe.load_state_dict({"weight": torch.tensor([1.7]), "bias": torch.tensor([-0.3]),
                           "running_mean": torch.tensor([0.4]), "running_var": torch.tensor([2.5]),
                           "num_batches_tracked": torch.tensor(5)})
    r = torch.randn(4, 1, 17, 17)
    a = 1.7 / np.sqrt(2.5 + 1e-3)
    b = -0.3 - 0.4 * a
    with torch.no_grad():
        torch.testing.assert_close(probe(r), a * r + b, rtol=1e-5, atol=1e-5)


def test_bn_response_training_uses_all_maps_and_cells():
    """Training mode: statistics over every map and cell; running averages move by 1 %."""
    torch.manual_seed(3)
    bn = nn.BatchNorm2d(1, eps=1e-3, momentum=0.01)
    bn.load_state_dict(small_net("alexnet").bn_response.state_dict())
    bn.train()
    r = torch.randn(8, 1, 17, 17) * 3 + 1
    out = bn(r)
    flat = r.double().flatten().numpy()
    mu, var = flat.mean(), flat.var()
    expected = (flat - mu) / np.sqrt(var + 1e-3)
    np.testing.assert_allclose(out.detach().double().flatten().numpy(), expected, rtol=1e-4, atol=1e-4)
    n = flat.size
    assert float(bn.running_mean) == pytest.approx(0.99 * 0 + 0.01 * mu, rel=1e-4)
    assert float(bn.running_var) == pytest.approx(0.99 * 1 + 0.01 * var * n / (n - 1), rel=1e-4)


@pytest.mark.parametrize("which", ["alexnet", "mobilenetv2"])
def test_fused_backbone_matches_eval_backbone(which):
    """The tracker runs a conv+BN-folded copy; it must compute the same features."""
    if which == "alexnet":
        torch.manual_seed(4)
        bb = AlexNetBackbone()
        # non-trivial running statistics so the folding is actually exercised
        for m in bb.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.1, 0.1)
        bb.eval()
    else:
        bb = default_net()[0].backbone
    fused = fuse_conv_bn(bb)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    x = torch.rand(1, 3, 127, 127)
    with torch.no_grad():
        ref, got = bb(x), fused(x)
    torch.testing.assert_close(got, ref, rtol=1e-3, atol=1e-3 * float(ref.abs().max()))
