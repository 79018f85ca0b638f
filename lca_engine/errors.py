"""The engine's error tree. Every message names the process, exchange and value at fault.

    EngineError
    ├── ModelError                      the input model is wrong; the user must fix it
    │   ├── InvalidAmountError          NaN, infinite, or negative where that is impossible
    │   ├── DuplicateIdError            two processes, flows or products share an id
    │   ├── MissingReferenceProductError
    │   ├── UnlinkedInputError          an input names a provider that does not exist
    │   ├── UnknownFlowError            an emission names an elementary flow that does not exist
    │   ├── UnknownGasError             a flow's gas has no GWP value in the chosen IPCC set
    │   ├── DocumentError               a model or background document with a wrong field
    │   │   └── UnknownKeyError         a key the document's schema does not name there
    │   └── AllocationError             allocation factors or properties that cannot be used
    ├── SpeciesTableError               the packaged species table is malformed (an editing slip)
    ├── UnitError
    │   ├── UnknownUnitError            a unit that the registry cannot parse
    │   └── UnitMismatchError           units of different dimensions (kg into kWh)
    └── SolveError
        ├── SingularSystemError         the technosphere matrix has no unique solution
        └── NonProductiveSystemError    a loop consumes at least as much as it produces
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the LCA engine raises."""


class ModelError(EngineError):
    """The model handed to the engine is inconsistent; the message says what to fix."""


class InvalidAmountError(ModelError):
    """An amount is NaN, infinite, or negative where only positive values make sense."""


class DuplicateIdError(ModelError):
    """Two processes, products or elementary flows share one identifier."""


class MissingReferenceProductError(ModelError):
    """The product model does not say which process makes the product, or that process
    does not output the named product."""


class UnlinkedInputError(ModelError):
    """A technosphere input points to a provider (background activity, own process or
    supplier footprint) that does not exist."""


class UnknownFlowError(ModelError):
    """An emission names an elementary flow that is not in the flow list."""


class UnknownGasError(ModelError):
    """An elementary flow names a gas that has no GWP100 value in the chosen IPCC report."""


class SpeciesTableError(EngineError):
    """The packaged greenhouse-gas species table (`lca_engine/data/ghg_species.csv`) has a
    malformed row: a mistake made when editing it, named by line and column."""


class DocumentError(ModelError):
    """A product-model or background document has a missing or malformed field; the message
    gives the field's path, such as `processes[2].inputs[0].amount`."""


class UnknownKeyError(DocumentError):
    """A document has a key its schema (`lca_engine.document_schema`) does not name at that
    place, such as a misspelt `emisions`; *suggestions* are the allowed keys it resembles.
    (The fields default so that the error rebuilds from its message alone, as job queues do.)"""

    def __init__(self, message: str, *, path: str = "", key: object = None,
                 suggestions: tuple[str, ...] = (), allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
        self.suggestions = suggestions
        self.allowed = allowed


class AllocationError(ModelError):
    """A multi-output process cannot be allocated: factors that do not sum to 1, a missing
    property, or a co-product without a substitute under system expansion."""


class UnitError(EngineError):
    """A unit cannot be used as given."""


class UnknownUnitError(UnitError):
    """A unit string the unit registry does not understand."""


class UnitMismatchError(UnitError):
    """Two units measure different things (mass and energy, say) and cannot be converted."""


class SolveError(EngineError):
    """The linear system cannot be solved into a meaningful footprint."""


class SingularSystemError(SolveError):
    """The technosphere matrix is singular: some product is not produced by any process,
    or the system of equations has no unique solution."""


class NonProductiveSystemError(SolveError):
    """The system cannot deliver the demand with non-negative activity levels: a loop
    consumes at least as much of a product as it makes."""
