"""Feature extractors. Both map an RGB crop in [0, 1] to a stride-8 feature map.

- ``AlexNetBackbone``: the paper's dense AlexNet variant (docs/model.md §2), VALID convolutions.
  127 -> 6x6x256 template, 255 -> 22x22x256 search features; the template is used whole.
- ``MobileNetV2Backbone``: ImageNet-pretrained MobileNetV2 cut after block 13 (96 channels), with the
  stride-2 of block 7 removed and the later depthwise convolutions dilated by 2, so the total stride
  is 8. Padded convolutions: 127 -> 16x16, 255 -> 32x32; the template is the centre 7x7 cells.

Every backbone states ``out_channels``, ``stride``, ``template_cells`` (cells kept from the exemplar
map) and ``template_offset`` (index of the first kept cell); the tracker's geometry needs nothing else.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["AlexNetBackbone", "BackboneStem", "MobileNetV2Backbone", "build_backbone", "backbone_tail",
           "fuse_conv_bn"]


class AlexNetBackbone(nn.Module):
    out_channels = 256
    stride = 8
    template_cells = 6
    template_offset = 0

    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int, k: int, s: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, k, s), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *block(3, 96, 11, 2),  # conv1
            nn.MaxPool2d(3, 2),  # pool1
            *block(96, 256, 5, 1),  # conv2 (dense, no groups)
            nn.MaxPool2d(3, 2),  # pool2
            *block(256, 384, 3, 1),  # conv3
            *block(384, 384, 3, 1),  # conv4
            nn.Conv2d(384, 256, 3, 1),  # conv5: linear, no BN
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight)  # TF's Glorot-uniform default
                nn.init.zeros_(m.bias)

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x  # (B, 3, H, W): the convolutions take [0, 1] pixels as they are

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, H, W) in [0, 1]  ->  (B, 256, (H-63)/8, (W-63)/8)
        return self.features(x)


class _InvertedResidual(nn.Module):
    """MobileNetV2 block; submodule indices match the flat ``features.N.conv.K`` weight layout."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int, dilation: int = 1) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_residual = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True)]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, padding=dilation, dilation=dilation, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class _ConvBNReLU6(nn.Sequential):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))


# (expansion t, channels c, repeats n, stride s) for blocks 1..13 of MobileNetV2
_MBV2_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1)]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class MobileNetV2Backbone(nn.Module):
    out_channels = 96
    stride = 8
    template_cells = 7
    template_offset = 5  # centre 7x7 of the 16x16 exemplar map: cells 5..11 (cell i sits at ~8i px)

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [_ConvBNReLU6(3, 32, 2)]
        cin, current_stride = 32, 2
        for t, c, n, s in _MBV2_SETTINGS:
            for i in range(n):
                stride = s if i == 0 else 1
                dilation = 1
                if current_stride >= 8 and stride == 2:
                    # block 7: drop the stride; its own kernel still sees stride-8 neighbours
                    stride = 1
                    current_stride = 16  # every later block works on a map that would have been halved
                elif current_stride >= 16:
                    dilation = 2
                layers.append(_InvertedResidual(cin, c, stride, t, dilation))
                current_stride *= stride
                cin = c
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std  # (B, 3, H, W): ImageNet normalisation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, H, W) in [0, 1]  ->  (B, 96, ceil(H/8), ceil(W/8))
        return self.features(self.prepare(x))


def build_backbone(name: str) -> nn.Module:
    if name == "alexnet":
        return AlexNetBackbone()
    if name == "mobilenetv2":
        return MobileNetV2Backbone()
    raise ValueError(f"unknown backbone {name!r}")


class BackboneStem(nn.Module):
    """A backbone without its last ``tail`` entries of ``features``: the features that enter them.

    ``backbone_tail(bb, tail)(BackboneStem(bb, tail)(x)) == bb(x)``; the trainer caches the stem's output
    and trains the tail on it. The stem shares the backbone's modules (no copy).
    """

    def __init__(self, backbone: nn.Module, tail: int) -> None:
        super().__init__()
        _split(backbone, tail)  # refuses a tail the backbone does not have
        self.backbone = backbone
        self.tail = tail

    @property
    def head(self) -> nn.Sequential:
        """The entries of ``features`` before the tail (the backbone's own modules)."""
        return _split(self.backbone, self.tail)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, H, W) in [0, 1] -> (B, C', H', W') the input of the tail blocks
        return self.head(self.backbone.prepare(x))


def _split(backbone: nn.Module, tail: int) -> tuple[nn.Sequential, nn.Sequential]:
    """``features`` cut before its last ``tail`` entries: (head, tail), sharing the backbone's modules."""
    n = len(backbone.features)
    if not 0 <= tail < n:
        raise ValueError(f"a backbone with {n} blocks cannot train its last {tail}")
    return backbone.features[: n - tail], (backbone.features[n - tail :] if tail else nn.Sequential())


def backbone_tail(backbone: nn.Module, tail: int) -> nn.Sequential:
    """The last ``tail`` entries of the backbone's ``features`` (its own modules, not copies); empty for 0."""
    return _split(backbone, tail)[1]


def fuse_conv_bn(module: nn.Module) -> nn.Module:
    """Return a copy for inference with every Conv2d->BatchNorm2d pair folded into one Conv2d.

    Works on ``nn.Sequential`` children, which is how both backbones are built. Only valid in eval
    mode (uses the running statistics).
    """
    import copy

    fused = copy.deepcopy(module).eval()

    def fold(seq: nn.Sequential) -> None:
        names = list(seq._modules)
        for a, b in zip(names, names[1:]):
            conv, bn = seq._modules[a], seq._modules[b]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                seq._modules[a] = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
                seq._modules[b] = nn.Identity()

    for m in fused.modules():
        if isinstance(m, nn.Sequential):
            fold(m)
    return fused


def pad_free_template(features: torch.Tensor, cells: int, offset: int) -> torch.Tensor:
    """Cut the template cells from an exemplar map: (B, C, H, W) -> (B, C, cells, cells)."""
    return features[:, :, offset : offset + cells, offset : offset + cells]


def xcorr(search: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    """Per-sample valid cross-correlation.

    search: (B, C, Hx, Wx), template: (B, C, Hz, Wz) -> (B, 1, Hx-Hz+1, Wx-Wz+1)
    On CUDA one grouped convolution (groups = B); on the CPU, where oneDNN's grouped convolution
    with large kernels is several times slower, one plain convolution per sample.
    """
    b, c, hx, wx = search.shape
    if search.device.type == "cpu":
        search = search.contiguous()
        return torch.cat([F.conv2d(search[i : i + 1], template[i : i + 1]) for i in range(b)])  # (B, 1, Hr, Wr)
    out = F.conv2d(search.reshape(1, b * c, hx, wx), template, groups=b)  # (1, B, Hr, Wr)
    return out.reshape(b, 1, out.shape[-2], out.shape[-1])  # (B, 1, Hr, Wr)
