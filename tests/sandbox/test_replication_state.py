"""replication_state.StatusBook: one source version, several destinations, the status S3 reports."""

from __future__ import annotations

from s3xrep_tui.sandbox.replication_state import StatusBook

V = ("src", "doc.txt", "v1")


def test_completed_only_when_every_destination_completed_failed_when_any_failed():
    book = StatusBook()
    book.set(V, "dst-one", "PENDING")
    book.set(V, "dst-two", "PENDING")
    book.set(V, "dst-one", "COMPLETED")
    assert book.status(V) == "PENDING"  # dst-two still outstanding
    book.set(V, "dst-two", "COMPLETED")
    assert book.status(V) == "COMPLETED" and book.failure_code(V) is None
    book.set(V, "dst-two", "PENDING")  # a Batch Replication job replicates it again
    book.set(V, "dst-two", "FAILED", "DstPutObjectNotPermitted")
    assert (book.status(V), book.failure_code(V)) == ("FAILED", "DstPutObjectNotPermitted")
    assert book.destination_status(V, "dst-one") == "COMPLETED"


def test_failed_wins_while_another_destination_is_still_pending():
    book = StatusBook()
    book.set(V, "dst-one", "PENDING")
    book.set(V, "dst-two", "PENDING")
    book.set(V, "dst-two", "FAILED", "DstBucketNotFound")
    assert book.status(V) == "FAILED"


def test_a_replica_reads_replica_whatever_batch_replication_does_with_it():
    book = StatusBook()
    book.mark_replica(V)
    book.set(V, "next-hop", "PENDING")
    book.set(V, "next-hop", "COMPLETED")
    assert book.status(V) == "REPLICA"
    assert book.destination_status(V, "next-hop") == "COMPLETED"
