"""StrideBack: get back to pain-free running after knee pain.

A self-care aid, not a diagnosis. See README.md.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "StrideBack is a self-care aid, not a diagnosis. If you have a red flag "
    "(injury you can't bear weight on, locking, giving way, a hot swollen knee, "
    "fever, calf swelling, night or rest pain), see a clinician."
)
