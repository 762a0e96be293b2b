"""The correlator's pure core. No I/O, no asyncio, no faust, no wall clock: an import rule checks it."""
