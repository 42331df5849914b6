"""What an environment keeps when it is destroyed, and every resource flag that follows from it.

One intent, `EnvironmentConfig.retain_on_destroy`, decides all of these; no resource reads the
intent itself, so a reader sees here, in one table, what a destroy costs in each environment.
"""

from __future__ import annotations

from dataclasses import dataclass

# AWS's minimum when a secret may be restored at all (0 deletes it at once).
SECRET_RECOVERY_DAYS = 7


@dataclass(frozen=True)
class Retention:
    retain_on_destroy: bool

    @property
    def db_deletion_protection(self) -> bool:
        return self.retain_on_destroy

    @property
    def db_skip_final_snapshot(self) -> bool:
        return not self.retain_on_destroy

    @property
    def db_takes_final_snapshot(self) -> bool:
        """Whether RDS gets a final snapshot identifier (needed unless it skips the snapshot)."""
        return self.retain_on_destroy

    @property
    def db_apply_immediately(self) -> bool:
        # Where data is kept, a change that restarts the database waits for the maintenance
        # window; a throwaway environment takes it at once.
        return not self.retain_on_destroy

    @property
    def load_balancer_deletion_protection(self) -> bool:
        return self.retain_on_destroy

    @property
    def bucket_force_destroy(self) -> bool:
        """Whether destroy may empty the site and log buckets."""
        return not self.retain_on_destroy

    @property
    def repository_force_delete(self) -> bool:
        """Whether destroy may delete ECR repositories that still hold images."""
        return not self.retain_on_destroy

    @property
    def secret_recovery_window_days(self) -> int:
        return SECRET_RECOVERY_DAYS if self.retain_on_destroy else 0

    @property
    def kms_deletion_window_days(self) -> int:
        """How long a destroyed KMS key can still be restored (AWS allows 7 to 30 days)."""
        return 30 if self.retain_on_destroy else 7

    @property
    def teardown_lifts_protection(self) -> bool:
        """Whether a deliberate teardown must first switch protection off by hand (rehearsals)."""
        return self.retain_on_destroy
