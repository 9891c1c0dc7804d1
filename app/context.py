"""What every command needs, built once from the command line: data paths and settings."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from app.paths import DATA_DIR_ENV, DataPaths, resolve_data_dir
from app.settings import SettingsStore

__all__ = ["AppContext"]


@dataclass(frozen=True)
class AppContext:
    paths: DataPaths
    settings: SettingsStore
    args: argparse.Namespace

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> AppContext:
        paths = resolve_data_dir(args.data_dir).ensure()
        # One answer for the whole process and its children: code that resolves the data
        # folder on its own (Godot's private XDG folders, helper processes) sees the flag too.
        os.environ[DATA_DIR_ENV] = str(paths.root)
        return cls(paths=paths, settings=SettingsStore(paths.settings_file), args=args)
