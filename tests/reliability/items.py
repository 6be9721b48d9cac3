"""Every item of the hardening issue, and the tests that prove it (new here, or already elsewhere).

``ITEMS``: (area, item, tests). A test is ``path::function``; a path under
tests/reliability/ is this suite, any other is an existing test referenced rather
than repeated. ``test_items.py`` checks that each referenced function exists;
``count.py`` counts them for the README's "What we test".
"""

from __future__ import annotations

R = "tests/reliability"
BAD = f"{R}/test_bad_input.py::test_bad_input_says_what_and_how_to_fix_exits_with_its_code_and_writes_nothing"
PROPS = f"{R}/test_properties.py"
FAULTS = f"{R}/test_faults.py"
SEC = f"{R}/test_security.py"

ITEMS: list[tuple[str, str, list[str]]] = [
    # --- bad input ---------------------------------------------------------------------------
    ("bad input", "each bad input end to end: exit code, problem and fix, nothing written (24 cases)", [BAD]),
    ("bad input", "bucket names (hypothesis, against an independent oracle)", [
        f"{PROPS}::test_bucket_names_are_accepted_exactly_when_s3_would_and_refusals_name_the_rule",
        "tests/aws/test_gather.py::test_bad_bucket_names_are_value_errors_before_any_call",
    ]),
    ("bad input", "prefixes and tags (hypothesis)", [
        f"{PROPS}::test_a_prefix_is_accepted_up_to_1024_characters_and_refused_beyond_with_the_limit",
        f"{PROPS}::test_tags_parse_back_to_what_was_typed_and_no_equals_sign_is_refused",
        f"{PROPS}::test_tags_scope_the_rule_and_refuse_delete_markers",
    ]),
    ("bad input", "existing and malformed policies (hypothesis, through the whole plan)", [
        f"{PROPS}::test_any_existing_policy_keeps_every_foreign_statement_and_gains_only_ours",
        f"{PROPS}::test_a_malformed_policy_is_a_merge_error_with_a_fix_never_another_exception",
        "tests/core/test_merge.py::test_parse_invalid_json_names_document_and_position",
        "tests/core/test_merge.py::test_parse_top_level_list_refused",
        "tests/core/test_merge.py::test_parse_statement_of_wrong_type_refused",
    ]),
    ("bad input", "every preflight finding, one by one, with its message and fix", [
        "tests/core/test_preflight.py::test_finding",
        "tests/core/test_merge.py::test_foreign_statement_using_our_sid_is_a_collision",
        "tests/core/test_merge.py::test_size_limits",
        "tests/core/test_merge.py::test_replication_v1_rules_refused",
        "tests/core/test_merge.py::test_replication_rule_limit",
    ]),
    ("bad input", "credentials: unknown profile, expired keys and SSO, MFA, no region, no endpoint", [
        "tests/aws/test_errors.py::test_profile_not_found",
        "tests/aws/test_errors.py::test_sso_token_missing_or_expired",
        "tests/aws/test_errors.py::test_expired_token",
        "tests/aws/test_errors.py::test_no_region",
        "tests/aws/test_credentials.py::test_unknown_profile_and_expired_sso_keep_their_advice",
        "tests/aws/test_credentials.py::test_headless_without_a_terminal_fails_in_one_line_on_stderr_and_no_traceback",
        "tests/aws/test_credentials.py::test_a_missing_region_says_region_flag_or_profile_setting",
        "tests/aws/test_credentials.py::test_an_endpoint_that_does_not_answer_names_the_keys",
        "tests/aws/test_gather.py::test_endpoint_that_does_not_answer",
        "tests/commands/test_mfa_flag.py::test_without_the_flag_or_a_terminal_it_is_one_line",
        "tests/commands/test_plan_command.py::test_an_unknown_profile_is_one_line_and_exit_1",
        "tests/commands/test_plan_command.py::test_bad_arguments_exit_2_with_one_line",
        "tests/commands/test_apply_command.py::test_a_blocked_plan_exits_3_and_changes_nothing",
    ]),
    ("bad input", "on screen: validator messages, a blocked plan refused, the problem and its fix", [
        "tests/tui/test_options.py",
        "tests/tui/test_apply_screen.py::test_a_blocked_plan_is_refused_even_here",
        "tests/tui/test_accounts.py",
    ]),
    # --- faults ------------------------------------------------------------------------------
    ("faults", ("the sandbox stopped at each write (dropped, or applied with its answer lost): "
                "re-run converges, journal intact, undo restores"), [
        f"{FAULTS}::test_the_sandbox_stopped_at_each_write_then_a_rerun_converges_and_undo_restores",
        "tests/aws/test_apply_sandbox.py::test_interrupted_after_any_step_a_rerun_converges_and_undo_restores",
    ]),
    ("faults", "apply killed with SIGKILL mid-write: journal readable and consistent, re-run converges, undo", [
        f"{FAULTS}::test_apply_killed_mid_write_leaves_a_readable_consistent_journal_and_a_rerun_converges",
        "tests/aws/test_journal.py::test_a_truncated_last_line_is_skipped_and_reported_and_the_next_entry_starts_a_new_line",
        "tests/aws/test_apply_sandbox.py::test_undo_works_from_a_journal_with_a_truncated_last_line",
    ]),
    ("faults", "the sandbox stopped while the monitor polls: retrying, recovery, no traceback", [
        "tests/tui/test_monitor.py::test_the_sandbox_stopped_mid_poll_shows_retrying_and_recovers",
        "tests/tui/test_monitor_poller.py",
    ]),
    ("faults", "throttling (SlowDown, TooManyRequestsException): bounded backoff, each wait shown (apply and undo)", [
        f"{FAULTS}::test_throttling_is_retried_with_bounded_backoff_and_each_wait_is_reported",
        f"{FAULTS}::test_throttling_that_never_stops_fails_within_the_bound_with_a_fix",
        f"{FAULTS}::test_the_cli_prints_each_throttling_wait",
        f"{FAULTS}::test_undo_retries_throttling_like_apply_and_says_when_it_gives_up",
    ]),
    ("faults", "IAM propagation delay at every call naming a new role: waited out, each wait shown", [
        f"{FAULTS}::test_an_iam_propagation_delay_at_each_call_naming_a_new_role_is_waited_out_and_reported",
        "tests/aws/test_apply_sandbox.py::test_an_invalid_principal_right_after_create_role_is_retried_and_each_wait_reported",
        "tests/aws/test_apply_sandbox.py::test_when_iam_never_settles_the_step_fails_with_a_fix_and_a_rerun_continues",
        "tests/tui/test_apply_screen.py::test_an_iam_propagation_wait_shows_waiting_with_the_reason_then_done",
    ]),
    ("faults", "a concurrent change between plan and apply: re-merged, or refused, never overwritten", [
        f"{FAULTS}::test_a_foreign_statement_taking_our_sid_between_plan_and_apply_is_refused_not_overwritten",
        "tests/aws/test_apply_sandbox.py::test_a_statement_added_between_plan_and_apply_survives_the_merge",
        "tests/aws/test_apply_sandbox.py::test_a_rule_added_between_plan_and_apply_survives_the_merge",
        "tests/aws/test_apply_sandbox.py::test_undo_skips_a_document_changed_since_apply_and_restores_the_rest",
    ]),
    # --- security ----------------------------------------------------------------------------
    ("security", ("a full demo session with fake secrets: nothing in logs, journal, results, exports, "
                  "screenshots, stdout or stderr"), [
        f"{SEC}::test_a_headless_demo_session_writes_and_prints_no_secret",
        f"{SEC}::test_an_app_session_writes_no_secret_in_exports_screenshots_or_the_log",
        "tests/aws/test_credentials_secrets.py::test_no_secret_reaches_the_log_stderr_or_an_error",
        "tests/aws/test_journal.py::test_access_key_ids_never_reach_the_file",
    ]),
    ("security", "files the app writes are 0600 in 0700 directories", [
        f"{SEC}::test_files_the_app_writes_are_0600_in_0700_directories",
        "tests/test_storage.py::test_files_are_0600_in_0700_directories",
        "tests/aws/test_journal.py::test_entries_land_under_the_data_dir_private_and_in_order",
        "tests/aws/test_job_memory.py::test_remember_list_forget_in_a_private_file",
        "tests/tui/test_preview.py::test_e_exports_every_document_0600_in_a_0700_folder",
    ]),
    ("security", "least privilege for any options: scope, actions, parliament; foreign statements untouched", [
        f"{PROPS}::test_for_any_options_the_policies_pass_parliament_with_no_finding",
        f"{PROPS}::test_parliament_misreads_a_colon_in_an_object_key_and_only_that",
        "tests/core/test_documents_properties.py::test_documents_stay_inside_the_chosen_scope",
        "tests/core/test_documents.py::test_identity_policies_pass_parliament",
        "tests/core/test_documents.py::test_destination_bucket_policy_passes_parliament",
        "tests/core/test_merge.py::test_property_foreign_statements_survive_unchanged_in_order",
        "tests/core/test_merge.py::test_property_other_rules_survive_unchanged",
    ]),
    ("security", "read-only mode enforced in the AWS layer (apply, job actions, canary)", [
        f"{R}/test_read_only.py::test_read_only_is_refused_by_the_aws_layer_for_every_write_the_screens_offer",
        f"{R}/test_read_only.py::test_the_monitor_passes_read_only_mode_down_to_the_aws_layer",
        "tests/aws/test_apply_sandbox.py::test_read_only_refuses_every_write",
        "tests/commands/test_apply_command.py::test_read_only_exits_1_naming_the_refused_write",
    ]),
    # --- issue 14: trust -------------------------------------------------------------------
    ("faults", "a damaged middle journal line (truncated or edited): undo refuses (exit 3, names the line), --skip-record goes on and exits 1", [
        f"{R}/test_journal_integrity.py::test_undo_refuses_a_journal_with_a_damaged_middle_line_and_skip_record_goes_on_without_it",
        "tests/aws/test_journal.py::test_damage_in_the_middle_is_listed_with_its_line_and_a_torn_crash_tail_is_not",
        "tests/aws/test_journal.py::test_every_record_carries_a_checksum_of_what_is_stored",
    ]),
    ("faults", "journals of older versions (no checksums) read unverified with a warning", [
        f"{R}/test_journal_integrity.py::test_a_journal_written_by_an_older_version_is_read_unverified_with_a_warning",
        "tests/aws/test_journal.py::test_records_of_older_versions_are_read_unverified_but_not_after_checksummed_ones",
    ]),
    ("faults", "undo never deletes a role a policy still names; a dry run is a success when it itself succeeded", [
        f"{R}/test_journal_integrity.py::test_undo_keeps_a_role_a_changed_policy_still_grants_and_a_dry_run_of_that_still_succeeds",
        "tests/aws/test_apply_sandbox.py::test_undo_skips_a_document_changed_since_apply_and_restores_the_rest",
    ]),
    ("faults", "apply, undo, new objects, apply again: a new Batch job backfills them; a re-run after the job ended makes none unless --backfill-again", [
        f"{R}/test_backfill_again.py::test_apply_undo_new_objects_apply_again_starts_a_new_job_that_replicates_them",
        f"{R}/test_backfill_again.py::test_a_rerun_after_the_job_ended_makes_no_new_job_unless_asked_then_a_fresh_one",
        "tests/core/test_batch_job_token.py::test_generation_zero_is_the_plans_token_and_each_fresh_backfill_gets_its_own",
        "tests/core/test_batch_job_token.py::test_a_fresh_backfill_takes_what_is_still_none_or_failed_and_leaves_the_plan_alone",
    ]),
    ("security", "files are never written through a planted link: plan --out (every format), journal, log; targets untouched", [
        f"{R}/test_files.py::test_a_link_planted_in_plan_out_is_refused_and_its_target_untouched",
        f"{R}/test_files.py::test_writers_refuse_a_link_at_the_name",
        f"{R}/test_files.py::test_a_link_planted_at_the_journal_stops_apply_before_any_write",
        f"{R}/test_files.py::test_a_link_planted_at_the_log_is_refused_before_the_app_starts",
    ]),
    ("security", "the data, state and log directories and every file in them are 0700/0600, the sandbox's log included", [
        f"{R}/test_files.py::test_every_file_a_session_writes_is_0600_in_a_0700_directory",
        f"{R}/test_files.py::test_a_file_where_a_directory_should_be_is_named",
    ]),
    ("security", "one module names every directory, under one app name; help names the log written", [
        f"{R}/test_files.py::test_one_module_names_every_directory_under_one_app_name",
        f"{R}/test_files.py::test_the_help_screen_names_the_log_the_app_writes",
    ]),
    ("faults", "no traceback: every command with unusable data/state/config directories; an unexpected error is one line, its traceback in the log", [
        f"{R}/test_no_traceback.py::test_every_command_with_unusable_directories_says_one_line",
        f"{R}/test_no_traceback.py::test_every_command_is_covered",
        f"{R}/test_no_traceback.py::test_serve_with_an_unusable_log_directory_says_one_line",
        f"{R}/test_no_traceback.py::test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log",
    ]),
    ("bad input", "text from the other account (policy, key, AWS error, toast) reaches the terminal escaped: plan text and JSON, verify, browser, preview, toasts", [
        f"{R}/test_hostile_text.py::test_plan_text_shows_a_hostile_policy_escaped",
        f"{R}/test_hostile_text.py::test_plan_json_escapes_every_control_and_bidi_character",
        f"{R}/test_hostile_text.py::test_verify_text_shows_a_hostile_key_escaped",
        f"{R}/test_hostile_text.py::test_an_aws_error_message_is_printed_escaped",
        f"{R}/test_hostile_text.py::test_the_browser_shows_a_hostile_key_literally",
        f"{R}/test_hostile_text.py::test_a_toast_quoting_aws_shows_markup_and_controls_literally",
        f"{R}/test_hostile_text.py::test_the_preview_widgets_show_foreign_text_escaped",
        "tests/core/test_text.py::test_safe_shows_every_control_and_bidi_character_and_keeps_the_rest",
    ]),
    ("bad input", "S3's limits refused before any write, with the limit: rule ID <= 255, priority >= 0, unique tag keys, RTC/metrics minutes 15, <= 1,000 rules; an unknown profile exits 2", [
        "tests/core/test_option_limits.py::test_refused_with_s3s_limit",
        "tests/core/test_option_limits.py::test_at_the_limits_accepted",
        "tests/core/test_option_limits.py::test_the_merge_refuses_a_rule_s3_would_refuse",
        "tests/tui/test_options.py::test_s3s_limits_are_shown_beside_their_fields",
        "tests/sandbox/conformance/test_replication_limits.py",
    ]),
    ("security", "read-only enforced where clients are built: every mutating operation of every service used is refused before sending; global --read-only = the subcommand's; CLI and TUI write nothing", [
        "tests/aws/test_read_only_clients.py::test_every_mutating_operation_is_refused_before_it_is_sent",
        "tests/aws/test_read_only_clients.py::test_reads_go_over_http_and_writes_change_nothing",
        "tests/aws/test_read_only_clients.py::test_the_mode_is_read_at_each_call_and_the_process_mode_covers_every_client",
        "tests/aws/test_read_only_clients.py::test_the_classification_agrees_with_the_http_method_of_rest_services",
        f"{R}/test_read_only_cli.py::test_global_read_only_apply_yes_writes_nothing_like_the_subcommand_flag",
        f"{R}/test_read_only_cli.py::test_global_read_only_canary_puts_nothing",
        f"{R}/test_read_only_cli.py::test_global_read_only_reaches_commands_without_their_own_check",
        "tests/tui/test_read_only_tui.py::test_n_in_read_only_mode_shows_the_refusal_and_creates_no_bucket",
    ]),
    ("faults", "every wait bounded: a frozen endpoint fails in one line within the bound, credential_process has a deadline, Ctrl-C exits 130 promptly", [
        f"{R}/test_waits.py::test_a_frozen_endpoint_fails_plan_within_the_bound_in_one_line",
        f"{R}/test_waits.py::test_a_hanging_credential_process_is_stopped_at_its_deadline_naming_the_profile",
        f"{R}/test_waits.py::test_ctrl_c_during_a_hang_exits_130_promptly_with_one_line",
    ]),
    ("ownership", "a foreign rule with our ID blocks the plan, naming it; --rule-id adds ours beside it; --adopt journals and replaces it, undo restores it; one added between plan and apply is refused", [
        f"{R}/test_ownership.py::test_a_foreign_rule_with_our_id_blocks_the_plan_naming_it",
        f"{R}/test_ownership.py::test_rule_id_adds_ours_next_to_the_foreign_rule_and_undo_leaves_it_as_it_was",
        f"{R}/test_ownership.py::test_adopt_replaces_the_rule_journaled_and_undo_restores_it",
        f"{R}/test_ownership.py::test_a_foreign_rule_with_our_id_added_after_the_plan_is_not_replaced_by_apply",
    ]),
    ("ownership", "a foreign role with our name blocks the plan, naming its principal; --role-name leaves it alone; roles we create are tagged; --adopt journals trust, policies and tags and undo restores them", [
        f"{R}/test_ownership.py::test_a_foreign_role_with_our_name_blocks_the_plan_naming_it_and_its_principal",
        f"{R}/test_ownership.py::test_role_name_leaves_the_foreign_role_alone",
        f"{R}/test_ownership.py::test_adopt_takes_the_role_over_journaled_and_undo_restores_trust_policies_and_tags",
        "tests/core/test_preflight.py::test_finding",
    ]),
    ("ownership", "property: any foreign policy, rules and roles (Deny, NotPrincipal, Conditions, our names with foreign content) survive plan+apply+undo exactly, or apply is refused before its first write", [
        f"{R}/test_foreign_survives.py::test_foreign_statements_rules_and_roles_survive_plan_apply_undo",
    ]),
    ("preflight", "Deny statements that block replication are found and quoted (bucket policy, NotPrincipal, key policy); a TLS-only Deny is harmless; the sandbox agrees", [
        f"{R}/test_deny_policies.py::test_a_bucket_policy_deny_blocks_the_plan_quoting_the_statement",
        f"{R}/test_deny_policies.py::test_the_sandbox_agrees_the_bucket_policy_deny_fails_replication",
        f"{R}/test_deny_policies.py::test_a_key_policy_denying_other_accounts_blocks_the_plan",
        f"{R}/test_deny_policies.py::test_the_sandbox_agrees_the_key_policy_deny_fails_replication",
        f"{R}/test_deny_policies.py::test_a_deny_of_insecure_transport_does_not_block",
        "tests/core/test_access_check.py",
        "tests/core/test_policy_eval.py",
    ]),
    ("sandbox", "KMS grants where AWS enforces them (Bucket-Key replicas, objects under both contexts, a default SSE-KMS destination), enforced on replication and Batch tasks", [
        f"{R}/test_kms_plans.py::test_a_bucket_key_source_with_a_replica_key_replicates",
        f"{R}/test_kms_plans.py::test_plaintext_objects_to_a_default_sse_kms_destination_replicate",
        f"{R}/test_kms_plans.py::test_a_default_sse_kms_key_that_does_not_grant_the_role_blocks_the_plan",
        "tests/sandbox/conformance/test_kms_replication.py",
        "tests/sandbox/conformance/test_trust_conditions.py",
        "tests/core/test_kms_documents.py::test_a_bucket_key_source_gets_decrypt_on_the_replica_key_under_both_contexts",
        "tests/core/test_kms_documents.py::test_the_source_key_is_granted_for_objects_from_before_and_after_its_bucket_key",
        "tests/core/test_kms_documents.py::test_a_default_sse_kms_destination_gets_generate_data_key_for_plaintext_replicas",
    ]),
    ("sandbox", "no grant the role cannot use; ReplicateDelete for other rules only when they replicate delete markers", [
        "tests/core/test_kms_documents.py::test_the_destination_policy_grants_nothing_the_role_cannot_use",
        "tests/core/test_kms_documents.py::test_keep_other_rules_replicates_deletes_only_for_rules_that_replicate_delete_markers",
    ]),
    # --- issue 14: a hostile review after the merge ------------------------------------------
    ("security", "no path is followed through a link another user made, at any component: plan --out, report --out, the preview's export", [
        f"{R}/test_hostile_review.py::test_plan_out_below_a_link_another_user_planted_writes_nothing_there",
        f"{R}/test_hostile_review.py::test_report_out_below_a_link_another_user_planted_is_refused",
        f"{R}/test_hostile_review.py::test_the_preview_screens_export_below_a_link_another_user_planted_writes_nothing_there",
    ]),
    ("ownership", "a Deny (or any non-Allow shape) in our Sid family naming our role is foreign: plan blocks, apply writes nothing; a foreign role of our name is named escaped; undo after --adopt keeps a trust policy edited since", [
        f"{R}/test_hostile_review.py::test_a_foreign_deny_in_our_sid_family_naming_our_role_is_never_removed",
        f"{R}/test_hostile_review.py::test_a_foreign_role_with_our_name_and_hostile_text_is_named_escaped",
        f"{R}/test_hostile_review.py::test_undo_after_adopt_keeps_a_trust_policy_changed_since_apply",
    ]),
    ("bad input", "10 tags of 128/256 characters, a report prefix of 512, no XML control character: refused before any write", [
        f"{R}/test_hostile_review.py::test_s3_limits_the_options_missed_are_refused_before_any_write",
        f"{R}/test_hostile_review.py::test_repair_with_a_hostile_key_prints_no_control_character",
    ]),
    ("faults", "repair with no Batch role stops before its first write; a directory at the journal: every command names the path and the fix", [
        f"{R}/test_hostile_review.py::test_repair_after_apply_no_existing_writes_nothing_when_the_batch_role_is_missing",
        f"{R}/test_hostile_review.py::test_every_command_with_a_directory_where_the_journal_is",
    ]),
    ("security", "repair under --read-only writes nothing; read-only dry runs of undo and repair succeed", [
        f"{R}/test_hostile_review.py::test_repair_read_only_writes_nothing_when_versions_are_missing",
        f"{R}/test_hostile_review.py::test_read_only_dry_runs_read_and_succeed",
    ]),
    ("ownership", "a statement in our Sid family naming our role is ours only by the journal's proof: kept with a finding, blocked under a Sid we write (--adopt replaces it, undo restores), an edit of ours is no longer ours; ReplicaModifications kept as deployed; exported roles carry our tags", [
        f"{R}/test_our_sid_not_proven.py::test_foreign_statement_with_our_sid_blocks_and_adopt_replaces_it",
        f"{R}/test_our_sid_not_proven.py::test_foreign_statement_in_our_family_is_kept_by_apply_reapply_and_finish",
        f"{R}/test_our_sid_not_proven.py::test_our_statement_edited_after_apply_is_no_longer_ours",
        f"{R}/test_our_sid_not_proven.py::test_a_kept_statement_its_owner_removes_before_apply_is_not_written_back",
        "tests/core/test_merge.py::test_property_unproven_statements_in_our_family_are_never_changed_silently",
        f"{R}/test_replica_modifications_kept.py::test_a_reapply_without_the_option_keeps_replica_modifications",
        "tests/commands/test_plan_formats_sandbox.py::test_the_roles_it_creates_carry_our_tags",
        f"{R}/test_rule_edited_before_apply.py::test_an_edit_of_our_rule_between_plan_and_apply_is_not_overwritten",
        f"{R}/test_our_sid_not_proven.py::test_the_go_no_go_checks_our_statements_not_a_foreign_one_in_our_family",
        f"{R}/test_alarm_replaced_by_name.py::test_a_foreign_alarm_in_place_of_ours_is_not_overwritten",
        f"{R}/test_alarm_replaced_by_name.py::test_a_topic_of_our_name_no_longer_tagged_ours_gets_no_statement_of_ours",
    ]),
    # --- issue 17: the sandbox by AWS's documents ------------------------------------------
    ("sandbox", "every destination of a multi-destination configuration gets its copy; the source reads COMPLETED only when all did, FAILED if any failed", [
        "tests/sandbox/conformance/test_multiple_destinations.py::test_every_destination_gets_a_copy_and_the_source_reads_completed_when_all_did",
        "tests/sandbox/conformance/test_multiple_destinations.py::test_the_source_reads_failed_when_any_destination_failed",
        "tests/sandbox/conformance/test_multiple_destinations.py::test_priority_decides_between_rules_that_share_a_destination",
        "tests/sandbox/test_replication_state.py",
        "tests/sandbox/test_fidelity_app_paths.py::test_the_status_sample_counts_a_version_failed_at_one_of_two_destinations",
    ]),
    ("sandbox", "Batch Replication with REPLICA selected replicates replicas", [
        "tests/sandbox/conformance/test_batch_jobs.py::test_a_batch_replication_job_replicates_replicas_when_replica_is_selected",
        "tests/sandbox/test_fidelity_app_paths.py::test_a_backfill_with_replica_selected_copies_the_replicas_of_the_source",
    ]),
    ("sandbox", "GetObjectAcl names the version's owner (the destination account after an owner override)", [
        "tests/sandbox/conformance/test_object_acl.py::test_object_acl_owner_is_the_writer_and_after_owner_override_the_destination_account",
    ]),
    ("sandbox", "each job state New, Preparing, Ready, Active is observable for the dwell; undo leaves a Completing job to finish", [
        "tests/sandbox/conformance/test_batch_jobs.py::test_each_job_state_is_observable_for_the_dwell",
        "tests/sandbox/test_lifecycle.py::test_job_dwell_comes_from_the_argument_else_the_environment_else_the_demo_default",
        "tests/aws/test_apply_sandbox.py::test_undo_leaves_a_job_that_is_completing_to_finish_and_says_so",
    ]),
    ("sandbox", "the printed config reaches s3control with the stock AWS CLI and plain boto3", [
        "tests/sandbox/conformance/test_cli_endpoints.py::test_stock_cli_reaches_s3control_with_the_printed_config",
        "tests/sandbox/conformance/test_cli_endpoints.py::test_plain_boto3_reaches_s3control_with_the_printed_config",
    ]),
    # --- issue 18: the end of a migration ---------------------------------------------------
    ("alarms", "alarms on by default: metrics on our rule; topic, its policy, replication events, two alarms and an inbox before the backfill", [
        "tests/core/test_notification_merge.py::test_the_plan_has_the_alarm_steps_before_the_backfill_and_metrics_on_the_rule",
        "tests/core/test_notification_merge.py::test_rtc_adds_the_threshold_events_and_no_alarms_adds_nothing",
        "tests/core/test_notification_merge.py::test_a_named_topic_or_eventbridge_creates_no_topic_and_an_email_subscribes",
    ]),
    ("alarms", "property: any existing notification configuration keeps every foreign entry through adding and removing ours; ours only by proof", [
        "tests/core/test_notification_merge.py::test_adding_and_removing_ours_leaves_every_foreign_entry_as_it_was",
        "tests/core/test_notification_merge.py::test_an_entry_is_ours_only_by_proof_not_by_its_id",
        "tests/core/test_notification_merge.py::test_a_foreign_entry_with_our_id_is_refused",
    ]),
    ("alarms", "undo takes only ours away; a foreign alarm with our name is refused; --read-only refuses the writes", [
        "tests/aws/test_apply_alarms.py::test_apply_makes_the_topic_events_and_alarms_and_undo_takes_only_ours_away",
        "tests/aws/test_apply_alarms.py::test_a_foreign_alarm_with_our_name_is_not_overwritten",
        "tests/aws/test_apply_alarms.py::test_read_only_refuses_the_alarm_writes_where_clients_are_built",
    ]),
    ("alarms", "a real failure seen as ALARM and an event with its reason in words: sandbox, monitor at 80x24, s3xrep jobs", [
        "tests/sandbox/conformance/test_replication_alarms.py",
        "tests/aws/test_alarms_demo.py",
        "tests/tui/test_monitor_alarms.py",
        "tests/commands/test_jobs_alarms_command.py",
    ]),
    ("cut-over", "go/no-go checklist: each item's measured value, limit and verdict in words; no alarms planned is neutral", [
        "tests/core/test_cutover_checklist.py",
        "tests/aws/test_cutover_alarms.py",
        "tests/tui/test_cutover_screen.py",
    ]),
    ("cut-over", "write freeze merged by Sid: foreign statements survive freeze and lift (property); undo lifts exactly ours", [
        "tests/core/test_freeze.py",
        "tests/aws/test_undo_freeze.py",
    ]),
    ("cut-over", "on the sandbox: NO-GO then GO, freeze refuses writes, final drain and verify recorded; the way back replicates once and not again forward", [
        "tests/commands/test_cutover_command.py::test_go_no_go_cutover_with_freeze_and_the_way_back",
        "tests/sandbox/conformance/test_freeze_and_two_way.py",
        "tests/core/test_replica_modifications_rule.py",
    ]),
    ("bad input", "cutover refuses bad principals, conflicting modes and a missing confirmation with exit 2", [
        "tests/commands/test_cutover_command.py::test_bad_arguments_are_refused_before_any_call",
    ]),
    ("finish", "s3xrep finish removes our rules, roles, statements, alarms and notifications, leaves every foreign element and object (both accounts listed before and after)", [
        "tests/aws/test_finish_demo.py::test_finish_after_cut_over_removes_ours_and_leaves_every_foreign_element_and_object",
        "tests/commands/test_finish_command.py::test_finish_keeps_a_foreign_rule_role_and_statement_and_removes_ours",
        "tests/commands/test_finish_after_cutover.py::test_finish_after_a_cut_over_with_the_write_freeze",
        "tests/core/test_finish.py::test_any_foreign_statements_survive_adding_and_removing_ours",
    ]),
    ("finish", "blocked without a cut-over or with PENDING versions (exit 3); dry run and read-only change nothing; twice and after undo: nothing to do; a role still in use is kept and named", [
        "tests/aws/test_finish_demo.py::test_finish_without_a_cut_over_is_blocked_and_changes_nothing",
        "tests/commands/test_finish_command.py::test_finish_refuses_while_versions_are_pending",
        "tests/aws/test_finish_demo.py::test_a_dry_run_shows_what_goes_and_what_stays_and_changes_nothing",
        "tests/aws/test_finish_demo.py::test_finish_twice_says_there_is_nothing_to_do",
        "tests/commands/test_finish_command.py::test_finish_after_undo_has_nothing_to_do",
        "tests/commands/test_finish_command.py::test_a_role_a_foreign_rule_still_uses_is_kept_and_named",
    ]),
    ("finish", "from the app at 80x24; the home screen lists it finished", [
        "tests/tui/test_finish_screen.py",
        "tests/aws/test_migrations_finished.py",
    ]),
    ("finish", "the whole migration through the CLI on one sandbox: apply with alarms, a failure as an event and ALARM in jobs, verify, repair exactly it, go/no-go all measured and green, cut-over with the freeze, the way back without a loop, finish removes exactly ours (both accounts listed before and after), journal and report say finished", [
        "tests/commands/test_whole_story.py::test_the_whole_migration_from_apply_to_finish",
    ]),
    ("cut-over", "undo of the way back after the freeze was lifted converges (the freeze stays lifted, the reverse role goes); a foreign change since is never clobbered", [
        "tests/commands/test_undo_way_back.py",
    ]),
    ("alarms", "RTC's threshold events on the sandbox: missed, then replicated after; none without RTC; not listed as failures (stock CLI)", [
        "tests/sandbox/conformance/test_rtc_threshold_events.py",
    ]),
    # --- issue 19: verify at any scale -----------------------------------------------------
    ("inventory", "verify --inventory (DuckDB) and --engine athena give listing verify's verdicts over generated histories", [
        "tests/aws/test_inventory_properties.py",
        "tests/aws/test_engines_property.py",
        "tests/aws/test_athena_verify.py::test_athena_verdicts_equal_duckdb_and_listing_verdicts",
    ]),
    ("inventory", "DuckDB never installs or loads an extension and never writes to stdout; a report whose checksum does not match is passed over", [
        "tests/aws/test_inventory_verify.py::test_duckdb_never_installs_or_loads_an_extension",
        "tests/aws/test_inventory_verify.py::test_a_report_whose_checksum_does_not_match_is_passed_over",
    ]),
    ("inventory", "inventory as plan steps: journaled, merged by Sid, undone; auto from CloudWatch's object count, warning instead of blocking without reports buckets", [
        "tests/aws/test_apply_inventory.py",
        "tests/core/test_inventory_plan.py",
        "tests/commands/test_plan_inventory_command.py",
    ]),
    ("inventory", "Athena setup journaled, idempotent and undone; a query past its timeout is stopped; read-only refuses a query (it writes results)", [
        "tests/aws/test_athena_verify.py::test_athena_setup_is_journaled_idempotent_and_undone",
        "tests/aws/test_athena_query.py::test_a_query_past_its_timeout_is_stopped_and_fails_in_one_line",
        "tests/commands/test_verify_athena_command.py::test_athena_verify_read_only_is_refused_in_one_line",
        "tests/aws/test_read_only_clients.py::test_an_athena_query_is_a_write_and_reading_its_results_is_not",
    ]),
    ("sandbox", "S3 Inventory delivered in AWS's layout; Batch jobs with inventory manifests; Athena queries in DuckDB over the reports, Glue DDL, paging and states (stock CLI)", [
        "tests/sandbox/conformance/test_inventory.py",
        "tests/sandbox/conformance/test_inventory_manifest_jobs.py",
        "tests/sandbox/conformance/test_athena.py",
    ]),
    # --- issue 20: fleets and cost --------------------------------------------------------
    ("fleet", "N pairs planned together: shared roles within IAM's 10,240-character limit, one rule per pair, one policy per destination, one job per source bucket; cross-pair preflight", [
        "tests/core/test_fleet.py",
    ]),
    ("fleet", "pairs file and --map: bad input names the line, the field and the fix", [
        "tests/core/test_fleet_pairs.py",
    ]),
    ("fleet", "apply bounded, a failed pair isolated, a re-run converges, undo per pair and per migration; CLI end to end; the fleet board at 80x24", [
        "tests/aws/test_fleet_apply.py",
        "tests/commands/test_fleet_command.py",
        "tests/tui/test_fleet_board.py",
    ]),
    ("fleet", "the fleet from the app on the demo, by keys: the map typed and its pairs shown, the estimate, one confirmation, a failed pair isolated, the board's backfill, verify, report and undo", [
        "tests/tui/test_fleet_new.py",
        "tests/tui/test_demo_world.py",
    ]),
    ("cost", "estimate line items, totals, duration from the count and the measured rate; storage figures from CloudWatch, no listing", [
        "tests/core/test_estimate.py",
        "tests/aws/test_estimate.py",
    ]),
    ("cost", "the estimate in plan --json, plan's text, the report and the Preview's Cost tab at 80x24; the Price List API and storage metrics in the sandbox (stock CLI)", [
        "tests/commands/test_plan_estimate.py",
        "tests/core/test_report_estimate.py",
        "tests/tui/test_preview_cost.py",
        "tests/sandbox/conformance/test_storage_metrics.py",
        "tests/sandbox/conformance/test_price_list.py",
    ]),
]
