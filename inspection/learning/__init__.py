"""The learning loop: actions from audits and findings, the follow-up of an audit graded
Inadequate, re-audits with their reason, and the self-evaluation built from all of them."""
