"""The service layer: one function per use case (file a report, fix one, excuse a grid…).

Each use case takes the dependency container and plain values, runs in one unit of work (one
database transaction: :func:`bot.usecases.unit.unit_of_work`) and returns domain values or
raises a :class:`~bot.usecases.errors.UseCaseError`. The chat handlers, the scheduler's
sends, the CLI and the demo call these functions; none of them touches a repository.
"""
