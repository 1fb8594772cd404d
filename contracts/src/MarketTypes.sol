// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Domain vocabulary shared by every marketplace contract. The order of each enum is part of
// the public ABI (the subgraph, the SDK and the dApp map the numbers to names): append only.

/// @notice Kind of Data Product (docs/requirements.md#product-types).
enum ProductType {
    Stream,
    Batch,
    DataUnion,
    Analytics
}

/// @notice How the data is protected when shared (MKT-FUN-10/11/12).
enum Modality {
    Anonymised,
    Encrypted,
    Smpc
}

/// @notice What one unit of `price` buys. `OneTime` products are bought once and never expire.
enum PricingUnit {
    OneTime,
    Hour,
    Day,
    Week,
    Month
}

/// @notice High-level consumer category (MKT-FUN-03).
enum Category {
    Individual,
    Organisation
}

/// @notice Kind of organisation; `None` for individuals.
enum OrganisationType {
    None,
    Hospital,
    ResearchUniversity,
    Pharma,
    Insurer,
    PublicAuthority,
    HealthTech,
    EmployerRecruiter,
    EducationProvider
}

/// @notice Why a consumer wants the data. Sellers consent per purpose (MKT-FUN-16).
enum Purpose {
    Research,
    ClinicalTrials,
    PublicHealth,
    ProductDevelopment,
    Insurance,
    Marketing,
    Education,
    Recruitment,
    AiTraining,
    WellbeingServices,
    Statistics
}

/// @notice Jurisdictions (ISO 3166-1 alpha-2). The first thirteen are the target countries
/// (docs/requirements.md#target-countries); `None` marks "unset". Policies hold a bitmask
/// with bit `uint8(country)` set.
enum Country {
    None,
    DE,
    GB,
    FR,
    IT,
    ES,
    NL,
    BE,
    PT,
    SE,
    DK,
    EE,
    FI,
    AT,
    BG,
    CH,
    CY,
    CZ,
    GR,
    HR,
    HU,
    IE,
    IS,
    LI,
    LT,
    LU,
    LV,
    MT,
    NO,
    PL,
    RO,
    SI,
    SK
}

/// @notice Lifecycle of an agreement. Expiry is not a status: an `Active` agreement whose
/// `endsAt` has passed is expired (see `Agreements.isActive`). `Terminated`: ended early by the
/// seller, with the unused part refunded.
enum AgreementStatus {
    None,
    Pending,
    Active,
    Rejected,
    Cancelled,
    Terminated
}

/// @notice The verdict of an eligibility check; `Eligible` or the first reason that fails.
enum Verdict {
    Eligible,
    ProductNotFound,
    ProductInactive,
    OwnProduct,
    NoPolicy,
    NotRegistered,
    CredentialExpired,
    CredentialRevoked,
    IssuerNotTrusted,
    CategoryNotAllowed,
    OrganisationTypeNotAllowed,
    JurisdictionNotAllowed,
    PurposeNotAllowed,
    ConsentRetracted
}

/// @notice Validity of a registered credential as seen by `Credentials.statusOf`.
enum CredentialStatus {
    Valid,
    NotRegistered,
    Expired,
    Revoked,
    IssuerNotTrusted
}

/// @notice A member's state in a data union. `Parted`: left of their own accord; `Removed`: by
/// the admin or, once their credential stopped being valid, by anyone. Both keep earnings.
enum MemberStatus {
    None,
    Pending,
    Active,
    Parted,
    Removed
}

/// @notice Why a data union's admin removed a member (recorded in `MemberRemoved`).
enum RemovalReason {
    Other,
    CredentialInvalid,
    PolicyBreach,
    BadData,
    Inactive
}

/// @notice Lifecycle of an analytics query job (`Analytics`). `Open`: paid into escrow, waiting
/// for the computation agents' receipts until its deadline. `Completed`: a threshold of agents
/// recorded a result and the seller was paid. `Refused`: so many agents refused that a threshold
/// of results is no longer possible; the buyer was refunded. `Refunded`: no threshold of results
/// by the deadline; the buyer was refunded and the privacy budget given back. The last three are
/// final.
enum JobStatus {
    None,
    Open,
    Completed,
    Refused,
    Refunded
}

/// @notice Why a computation agent refused a query job (`Analytics.recordRefusal`).
/// `QueryMalformed`: the query text does not parse or does not match the job's hash;
/// `QueryNotAllowed`: the manifest's `allowed` lists forbid it; `Differencing`: its cohort differs
/// from one of the buyer's earlier cohorts by fewer than `minCohort` rows; `NotEligible`: the
/// buyer is no longer eligible; `DatasetMismatch`: the agent does not hold the job's dataset
/// version; `ComputeFailed`: the computation with the other agents failed.
enum RefusalReason {
    QueryMalformed,
    QueryNotAllowed,
    Differencing,
    NotEligible,
    DatasetMismatch,
    ComputeFailed
}

/// @dev Seconds in one period of each pricing unit; a month is 30 days.
library Periods {
    function unitSeconds(PricingUnit unit) internal pure returns (uint256) {
        if (unit == PricingUnit.Hour) return 1 hours;
        if (unit == PricingUnit.Day) return 1 days;
        if (unit == PricingUnit.Week) return 7 days;
        if (unit == PricingUnit.Month) return 30 days;
        return 0;
    }
}
