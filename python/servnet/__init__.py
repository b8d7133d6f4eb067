"""servnet: an engine for after-sales service networks (dispatch, assignment, planning).

The work is done in Rust (``servnet._servnet``); this package re-exports it.
"""

from servnet._servnet import DataError, ServnetError, __version__, read_dir

__all__ = ["DataError", "ServnetError", "__version__", "read_dir"]
