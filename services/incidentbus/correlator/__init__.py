"""The correlator: agency streams joined into closed-loop cases.

A pure core in `domain` decides; the faust shell beside it reads, stores and sends.
"""
