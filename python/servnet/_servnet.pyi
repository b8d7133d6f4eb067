"""Type stubs for the Rust extension module ``servnet._servnet``."""

from os import PathLike
from typing import List, Optional, TypedDict, Union

__version__: str

class ServnetError(Exception):
    """Base class of every error servnet raises."""

class Issue(TypedDict):
    """One problem in input data."""

    file: str
    line: Optional[int]
    record: Optional[str]
    field: Optional[str]
    message: str

class DataError(ServnetError, ValueError):
    """Bad input data; the message lists every problem, ``issues`` holds them."""

    issues: List[Issue]

class DataSummary(TypedDict):
    """What a data folder holds."""

    outlets: int
    regions: int
    skills: int
    tickets: int
    products: int

def read_dir(path: Union[str, PathLike[str]]) -> DataSummary:
    """Read and validate a data folder (docs/formats.md).

    Raises DataError listing every problem (file, line, field) on bad data.
    """
