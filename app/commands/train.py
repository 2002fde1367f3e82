"""`python main.py train`: train MemTrack on labelled video or synthetic clips (see tracker.training).

Under ``torchrun --nproc-per-node N main.py train ...`` it trains with DistributedDataParallel, one
process per GPU (NCCL) or N processes on the CPU (gloo), on the same global batch (--set batch_size)
split between them; rank 0 alone prints, logs and writes checkpoints (tracker.training.distributed)."""
from __future__ import annotations

import sys
from pathlib import Path

NAME = "train"
HELP = "train MemTrack (memory network on a frozen backbone by default; end to end with --end-to-end)"

DATA_FORMATS = ("got10k", "lasot", "vid", "otb", "project")


def add_arguments(p) -> None:
    p.add_argument("--out", type=Path, required=True, help="run folder: log.csv, checkpoints, final.safetensors")
    p.add_argument("--data", action="append", default=[], metavar="FORMAT:PATH",
                   help=f"training data, repeatable; FORMAT one of {', '.join(DATA_FORMATS)}")
    p.add_argument("--include", metavar="NAMES",
                   help="train only on these sequences of --data: A,B, a named split (validation) or @FILE")
    p.add_argument("--exclude", metavar="NAMES",
                   help="leave these sequences of --data out, e.g. --exclude validation (the fixed validation "
                        "split of the team's training video)")
    p.add_argument("--val", action="append", default=[], metavar="FORMAT:PATH", help="validation data")
    p.add_argument("--val-include", metavar="NAMES",
                   help="validate only on these sequences of --val, e.g. --val-include validation")
    p.add_argument("--synthetic", type=int, default=0, metavar="N",
                   help="add N synthetic sequences rendered from photographs (--images)")
    p.add_argument("--val-synthetic", type=int, default=0, metavar="N",
                   help="N synthetic validation sequences (another seed) when no --val is given")
    p.add_argument("--images", action="append", default=[], metavar="DIR",
                   help="photograph folders for --synthetic (default: the Debian wallpaper folders)")
    p.add_argument("--videos", action="append", default=None, metavar="FILE",
                   help="real clips used as moving backgrounds for --synthetic (default: opencv-doc samples if installed)")
    p.add_argument("--weights", type=Path,
                   help="start from this checkpoint (default: the bundled untrained one, ImageNet backbone)")
    p.add_argument("--steps", type=int, help="iterations (default 100000, the paper's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any TrainConfig field, e.g. --set cache_clips=512 --set learning_rate=3e-4")
    p.add_argument("--end-to-end", action="store_true", help="train the backbone too (GPU recommended)")
    p.add_argument("--neck", action="store_true",
                   help="add a trainable 1x1 neck on the backbone features (starts as the identity) "
                        "when the starting checkpoint has none")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--no-resume", action="store_true", help="start over even if --out holds a run")
    p.add_argument("--stop-after", type=int, metavar="STEP",
                   help="end this session once STEP steps are done, with a resume point saved (time-limited jobs); "
                        "the same command without it continues")
    p.add_argument("--seed", type=int, help="random seed (default 1234)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's choice)")


def _parse_value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _load_data(specs: list[str], error, include: str | None = None, exclude: str | None = None) -> list:
    from tracker.training.data import (DatasetError, got10k_sequences, lasot_sequences, otb_sequences,
                                       project_sequences, vid_sequences)
    from tracker.training.data.splits import in_evaluation_set, parse_names, select_sequences

    loaders = {"got10k": got10k_sequences, "lasot": lasot_sequences, "vid": vid_sequences,
               "otb": otb_sequences, "project": project_sequences}
    sequences = []
    for spec in specs:
        fmt, sep, path = spec.partition(":")
        if not sep or fmt not in loaders:
            raise error(f"--data {spec!r}: expected FORMAT:PATH with FORMAT one of {', '.join(DATA_FORMATS)}")
        if in_evaluation_set(path):
            raise error(f"{path}: the shared sequences are the evaluation set; never train on them")
        try:
            sequences += loaders[fmt](path)
        except DatasetError as e:
            raise error(str(e)) from None
    if (include or exclude) and not sequences:
        raise error("--include/--exclude/--val-include need data to choose from")
    if sequences and (include or exclude):
        try:
            sequences = select_sequences(sequences, parse_names(include) if include else None,
                                         parse_names(exclude) if exclude else None)
        except DatasetError as e:
            raise error(str(e)) from None
    return sequences


def _check_cpu_memory(train, error) -> None:
    """Refuse an end-to-end CPU run whose activations cannot fit in the free memory."""
    from tracker.training.memory_budget import available_gib, end_to_end_cpu_gib, largest_cpu_batch

    need, free = end_to_end_cpu_gib(train.batch_size, train.clip_steps), available_gib()
    if free is not None and need > free:
        fits = largest_cpu_batch(free, train.clip_steps)
        hint = f"--set batch_size={fits}, " if fits >= 1 else ""
        raise error(f"--end-to-end on the CPU needs about {need:.0f} GiB for batches of {train.batch_size} "
                    f"{train.clip_steps}-step clips, and {free:.0f} GiB is free: use {hint}a GPU "
                    "(--device cuda), or leave the backbone frozen (the default)")


def resume(trainer, out: Path, error: type[Exception]) -> bool:
    """``trainer.resume()``, with a resume file that is not ours (a pickle of other objects, a
    truncated or foreign file) reported as one line instead of torch's advice to unpickle it."""
    import pickle
    import warnings

    state = Path(out) / "train_state.pt"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about the pickle protocol before refusing it
            return trainer.resume()
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, RuntimeError):
        raise error(f"{state}: not a resume point written by train (only plain tensors are read from it; "
                    "nothing else is unpickled): delete it or pass --no-resume") from None


def run(args) -> int:
    import dataclasses

    import torch

    from app.cli import CommandError
    from tracker import resolve_device
    from tracker.config import ConfigError, from_dict
    from tracker.training.config import TrainConfig
    from tracker.training.distributed import DistributedContext

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--set {item!r}: expected KEY=VALUE")
        overrides[key] = _parse_value(value)
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.end_to_end:
        overrides["freeze_backbone"] = False
    try:
        base = dataclasses.asdict(TrainConfig())
        unknown = sorted(set(overrides) - set(base))
        if unknown:
            raise ConfigError(f"unknown training setting(s): {', '.join(unknown)}")
        train = from_dict(TrainConfig, {**base, **overrides}, "train")
    except ConfigError as e:
        raise CommandError(str(e)) from None
    try:
        device = resolve_device(args.device)
        dist = DistributedContext.from_env(device.type)
        device = dist.device(device)
    except RuntimeError as e:
        raise CommandError(str(e)) from None
    try:
        return _train(args, train, device, dist)
    finally:
        dist.close()


def _train(args, train, device, dist) -> int:
    import time

    import torch
    from tqdm import tqdm

    from app.cli import CommandError
    from tracker import UNTRAINED_WEIGHTS, CheckpointError, load_checkpoint
    from tracker.config import ModelConfig, TrackerConfig
    from tracker.training.data import DEFAULT_IMAGE_DIRS, DEFAULT_VIDEO_FILES, DatasetError, synthetic_sequences
    from tracker.training.trainer import Trainer

    try:
        start = args.weights or UNTRAINED_WEIGHTS
        net, config, start_extra = load_checkpoint(start)
    except (CheckpointError, RuntimeError) as e:
        raise CommandError(str(e)) from None
    if not isinstance(config.model, ModelConfig):  # pragma: no cover - defensive
        raise CommandError("checkpoint has no model config")
    if args.neck:
        from tracker.training import with_neck

        net, config = with_neck(net, config)

    if not train.freeze_backbone and device.type == "cpu" and config.model.backbone == "mobilenetv2":
        _check_cpu_memory(train, CommandError)

    sequences = _load_data(args.data, CommandError, args.include, args.exclude)
    val = _load_data(args.val, CommandError, args.val_include)
    images = args.images or [d for d in DEFAULT_IMAGE_DIRS if Path(d).is_dir()]
    videos = args.videos if args.videos is not None else [v for v in DEFAULT_VIDEO_FILES if Path(v).is_file()]
    try:
        if args.synthetic:
            if not images:
                raise CommandError("--synthetic needs photographs: pass --images DIR or run "
                                   "scripts/install_training_images.sh")
            sequences += synthetic_sequences(images, args.synthetic, seed=train.seed, videos=videos or None)
        if args.val_synthetic and not val:
            val = synthetic_sequences(images, args.val_synthetic, seed=train.seed + 99_991, videos=videos or None)
    except DatasetError as e:
        raise CommandError(str(e)) from None
    if not sequences:
        raise CommandError("no training data: give --data FORMAT:PATH and/or --synthetic N")

    # progress in every mode: redrawn on a terminal, a line every 30 s in a log file (disable=None would
    # turn the bars off whenever stderr is not a terminal)
    interval = 0.1 if sys.stderr.isatty() else 30.0
    quiet = not dist.is_main  # under torchrun only rank 0 reports
    bar = tqdm(total=train.steps, desc="training", unit="step", file=sys.stderr, mininterval=interval, disable=quiet)
    cache_bar = None

    def progress(done: int, total: int, info: dict) -> None:
        nonlocal cache_bar
        if info.get("phase") == "caching features":
            if cache_bar is None:
                cache_bar = tqdm(total=total, desc="caching features", unit="clip", file=sys.stderr,
                                 mininterval=interval, disable=quiet)
            cache_bar.update(done - cache_bar.n)
            return
        bar.set_postfix(loss=info.get("loss"), val=info.get("val_loss"), att=info.get("val_attention_peak"),
                        refresh=False)
        bar.update(done - bar.n)

    extra = {"data": args.data, "include": args.include, "exclude": args.exclude, "val": args.val,
             "val_include": args.val_include, "synthetic_sequences": args.synthetic, "images": images, "videos": videos,
             "device": device.type, "torch": torch.__version__, "processes": dist.world_size,
             # where this run started, and that checkpoint's own provenance (earlier training stages)
             "start_point": {"weights": Path(start).name, **start_extra}}
    if "tracking_tuned" in start_extra:  # the tracking config is carried over unchanged, so is its note
        extra["tracking_tuned"] = start_extra["tracking_tuned"]
    try:
        trainer = Trainer(net, TrackerConfig(model=config.model, tracking=config.tracking), train, sequences, val,
                          args.out, device=device, progress=None if quiet else progress, extra=extra,
                          distributed=dist)
        if not args.no_resume and resume(trainer, args.out, CommandError) and not quiet:
            print(f"resuming {args.out} at step {trainer.step}", file=sys.stderr)
        bar.n = trainer.step
        start = time.perf_counter()
        stop_after = args.stop_after
        summary = trainer.run(None if stop_after is None else lambda: trainer.step >= stop_after)
    except (DatasetError, ValueError, CheckpointError) as e:
        raise CommandError(str(e)) from None
    finally:
        bar.close()
        if cache_bar is not None:
            cache_bar.close()
    if quiet:
        return 0
    if dist.active:
        print(f"{dist.world_size} processes ({dist.backend}), global batch {train.batch_size}", file=sys.stderr)
    print(f"trained to step {summary.steps} in {time.perf_counter() - start:.0f} s "
          f"({summary.clips_per_second:.2f} clips/s); loss {summary.final_loss:.4f}"
          + (f", validation loss {summary.final_val_loss:.4f}" if summary.final_val_loss is not None else "")
          + f"\nweights: {summary.checkpoint}")
    return 0
