"""Human numbers for records (调整编号, 申请编号 …): a stem and a running sequence."""


def next_number(model, stem: str, width: int = 4, field: str = "number") -> str:
    """``stem`` followed by one more than the highest sequence used with it.

    A race between two writers ends at the model's unique constraint, not in a duplicate.
    """
    last = (
        model.objects.filter(**{f"{field}__startswith": stem})
        .order_by(f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    sequence = int(last[len(stem) :]) + 1 if last else 1
    return f"{stem}{sequence:0{width}d}"
