"""The whole job in one call: validate, fit the study, write its report and briefs."""
