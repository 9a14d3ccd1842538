"""Errors of the time-bank domain: one base, and one subclass for each rule.

Each docstring states the rule. The message is written for a person: a view
may show it as it is. Errors of the ledger (``ledger.errors.LedgerError``)
pass through the domain unchanged.
"""


class TimebankError(Exception):
    """A rule of the time bank refused the operation; nothing was written."""


class NotPermitted(TimebankError):
    """Only someone with the right role in this time bank may do this.

    A broker's power is scoped to their own time bank, an organisation admin's
    to their own organisation.
    """


class MakerChecker(NotPermitted):
    """Nobody approves an entry they created or that credits them."""


class NotFound(TimebankError):
    """Everything named exists, in this time bank."""


class UnknownTimeBank(NotFound):
    """Every time bank named exists."""


class UnknownUser(NotFound):
    """Every user named exists."""


class UnknownMember(NotFound):
    """Every member named belongs to this time bank."""


class UnknownOrganisation(NotFound):
    """Every organisation named belongs to this time bank."""


class UnknownActivity(NotFound):
    """Every activity named is on a spend partner's list in this time bank."""


class UnknownHourLog(NotFound):
    """Every hour log named exists in this time bank."""


class UnknownExchange(NotFound):
    """Every exchange named exists in this time bank."""


class UnknownGift(NotFound):
    """Every gift named exists in this time bank."""


class UnknownEntry(NotFound):
    """Every ledger entry named belongs to this time bank's book."""


class NotAMember(TimebankError):
    """Only a member (not a broker or admin alone) earns, pays and gives credits."""


class InvalidMinutes(TimebankError):
    """An amount is a whole, positive number of minutes."""


class TooManyMinutes(InvalidMinutes):
    """An amount stays within a sensible limit (24 hours for a day's service)."""


class OffGranularity(InvalidMinutes):
    """An amount is a multiple of the time bank's granularity."""


class InvalidServiceDate(TimebankError):
    """A service date is a calendar date."""


class FutureServiceDate(InvalidServiceDate):
    """Nobody records a service that has not happened yet."""


class OutsideBackdatingWindow(InvalidServiceDate):
    """A service is recorded within the time bank's back-dating window."""


class PayingYourself(TimebankError):
    """Nobody pays or gives credits to themselves."""


class AlreadyDecided(TimebankError):
    """A pending hour log, exchange or gift is approved or rejected once."""


class ItemRefused(TimebankError):
    """Items decided together are decided all or none: one refused refuses all.

    Its message is two sentences: ``named``, which names the item refused,
    then the message of ``cause``, the refusal of that item.
    """

    def __init__(self, named: str, cause: Exception):
        super().__init__(f"{named} {cause}")
        self.named = named
        self.cause = cause


class ReasonRequired(TimebankError):
    """A rejection, reversal, floor change or role change says why."""


class InvalidText(TimebankError):
    """A name, description or reason is text of a sensible length."""


class InvalidSetting(TimebankError):
    """A time bank's settings are among the choices it offers."""


class InvalidEmail(TimebankError):
    """A user's email looks like an email address."""


class WeakPassword(TimebankError):
    """A password has at least 10 characters."""


class AlreadyTaken(TimebankError):
    """Emails, time-bank slugs, organisation and activity names are unique."""


class NotAnIssuer(TimebankError):
    """Hours are logged only for an organisation that issues credits."""


class NotASpendPartner(TimebankError):
    """Credits are spent only at an organisation that is a spend partner."""


class InvalidIdempotencyKey(TimebankError):
    """A request key is 8 to 64 letters, digits or the signs _ . : -"""


class IdempotencyKeyReused(TimebankError):
    """A request key names one request: sent again, it must be the same request."""


class BadCredentials(TimebankError):
    """A token is made only for the right email and password."""


class UnknownToken(NotFound):
    """Every API token named is one of the user's own."""


class UnknownTransfer(NotFound):
    """Every transfer named is a gift, exchange or spend of the reader's time bank."""


class InvalidTransferKind(TimebankError):
    """A transfer is a gift, an exchange or a spend."""


class NotAPayersAccount(TimebankError):
    """A transfer is paid from a member's account, in a time bank of the actor's."""


class NotAPayeesAccount(TimebankError):
    """A transfer pays an account that may receive it.

    A gift pays a member or the community pool, an exchange the member who
    helped, a spend the spend partner.
    """


class AccountsInDifferentTimeBanks(NotAPayeesAccount):
    """Credits move only between accounts of one time bank."""


class ActivityMismatch(TimebankError):
    """A spend names an activity of the partner it pays; no other transfer does."""


class WrongPrice(InvalidMinutes):
    """A spend pays exactly its activity's price."""


class AdminOfAnotherTimeBank(NotPermitted):
    """A person's details are erased by someone who is an admin of all their banks.

    Erasing them changes what every time bank they belong to shows.
    """


class AlreadyErased(TimebankError):
    """A person's details are erased once; an erased person is changed no more."""


class InvalidPeriod(TimebankError):
    """A period runs forwards, ends today at the latest and spans at most ten years."""


class UnknownStatement(NotFound):
    """Every statement named was issued by this service."""


class UnknownPrintRun(NotFound):
    """Every print run named is one the reader may see, and its file is ready."""


class UnknownFileFormat(TimebankError):
    """Statements are printed as one of the formats offered."""
