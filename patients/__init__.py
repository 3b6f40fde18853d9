"""Who the patient is and whether they may be treated."""
