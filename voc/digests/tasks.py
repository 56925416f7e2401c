from celery import shared_task

from voc.digests import services


@shared_task
def digests_send_due_task() -> int:
    """Beat: claim the digests that are due and hand each to a worker; retries and lost attempts come round too."""
    deliveries = services.deliveries_claim_due()
    for delivery in deliveries:
        delivery_send_task.delay(delivery.pk)
    return len(deliveries)


@shared_task(bind=True)
def delivery_send_task(self, delivery_id: int) -> str:
    delivery = services.delivery_attempt(delivery_id)
    # After an SMTP error, try again once the backoff is over; the beat sweep is the safety net if this is lost,
    # and the only way in-process, where a task given an eta would run at once.
    if delivery.status == delivery.Status.PENDING and delivery.next_attempt_at and not self.request.is_eager:
        delivery_send_task.apply_async((delivery_id,), eta=delivery.next_attempt_at)
    return delivery.status
