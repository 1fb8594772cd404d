// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {
    AgreementStatus,
    Category,
    Country,
    JobStatus,
    MemberStatus,
    OrganisationType,
    PricingUnit,
    ProductType,
    Purpose
} from "../MarketTypes.sol";

// The marketplace's custom errors, each declared once (after OpenZeppelin's IERC6093). Each
// contract inherits the interface named after it; errors raised by several contracts live in
// the shared interfaces they inherit too. A name has one meaning and one set of arguments in
// every contract that raises it: off-chain code (SDK, CLI, dApp) explains a revert by its name.
// Tests select errors through these interfaces (`IAgreementsErrors.NotActive.selector`), as
// Solidity does not look up inherited errors on the contract type.
// An error and an event may share a name (`ConsentRetracted`, `CredentialRevoked`): the
// error says a call was refused for that reason, the event records that it happened.

/// @title Errors shared by the contracts that check accounts
/// @notice Raised by Credentials, Policies, Agreements and data unions.
interface IMarketErrors {
    /// @notice A required address (constructor dependency, issuer, subject or consumer) is zero.
    error ZeroAddress();
    /// @notice A signature (an issuer's attestation, a member's withdrawal) is not by the
    /// account it claims to be from.
    error InvalidSignature();
    /// @notice `account` holds no registered credential (Credentials: the subject of a key
    /// rotation or re-admission; Agreements: the consumer, verdict `NotRegistered`).
    error NotRegistered(address account);
}

/// @title Errors shared by the contracts that act on a product
/// @notice Raised by Catalogue, Policies and Agreements.
interface IProductErrors {
    /// @notice No product has id `productId` (Agreements: verdict `ProductNotFound`).
    error ProductNotFound(uint256 productId);
    /// @notice `caller` is not the seller of product `productId`: only the seller manages the
    /// product (Catalogue), its consent policy (Policies) and its agreements (Agreements:
    /// approve, reject, terminate, where `productId` is the agreement's product).
    error NotSeller(uint256 productId, address caller);
}

/// @title Errors of the Catalogue
interface ICatalogueErrors is IProductErrors {
    /// @notice The metadata URI (or an anonymisation report's URI) starts with neither `ipfs://`
    /// nor `https://`, or has nothing after the scheme.
    error InvalidMetadataURI();
    /// @notice The title is empty or longer than `MAX_TITLE_BYTES`.
    error InvalidTitle();
    /// @notice More than `MAX_TAGS` tags (`count` given).
    error TooManyTags(uint256 count);
    /// @notice The pricing unit does not fit the product type: streams and data unions are sold
    /// by time, batch files and analytics results once (`PricingUnit.OneTime`).
    error InvalidPricing(ProductType productType, PricingUnit pricingUnit);
    /// @notice Too many delivery agents, none for a batch or analytics product, a zero address or
    /// a duplicate.
    error InvalidDeliveryAgents();
    /// @notice The share threshold is zero or above the number of agents (or non-zero without agents).
    error InvalidThreshold(uint8 threshold, uint256 agents);
    /// @notice `reactivate` of a product that is active.
    error AlreadyActive(uint256 productId);
    /// @notice `deactivate` of a product that is inactive.
    error AlreadyInactive(uint256 productId);
    /// @notice Stream ids given for a product that is not a stream product.
    error StreamsNotAllowed(ProductType productType);
    /// @notice More than `MAX_STREAMS` stream ids (`count` given).
    error TooManyStreams(uint256 count);
    /// @notice Stream ids given while the Catalogue has no StreamRegistry.
    error StreamRegistryNotSet();
    /// @notice The StreamRegistry has no stream `streamId`.
    error StreamNotFound(string streamId);
    /// @notice `seller` does not hold GRANT on stream `streamId` in the StreamRegistry.
    error NotStreamOwner(string streamId, address seller);
    /// @notice Stream `streamId` is already sold by `MAX_PRODUCTS_PER_STREAM` products.
    error TooManyProductsForStream(string streamId);
    /// @notice Only a data union made by the union factory may publish a DATA_UNION product.
    error NotDataUnion(address caller);
    /// @notice Only the deployer may set the union factory.
    error NotDeployer(address caller);
    /// @notice The union factory is set already (to `unionFactory`).
    error UnionFactoryAlreadySet(address unionFactory);
    /// @notice Product `productId` is not an anonymised batch product (`ProductType.Batch` with
    /// `Modality.Anonymised`): only those are sold as an anonymised file with a report.
    error NotAnonymisedBatch(uint256 productId);
    /// @notice An anonymisation report with k or ℓ zero, ℓ above k (a class of k rows holds at
    /// most k distinct sensitive values), or a zero report hash.
    error InvalidAnonymisation();
}

/// @title Errors of Policies
interface IPoliciesErrors is IMarketErrors, IProductErrors {
    /// @notice The policy allows no purpose.
    error EmptyPurposes();
    /// @notice The policy allows no consumer category.
    error EmptyConsumerCategories();
    /// @notice The policy allows no jurisdiction.
    error EmptyJurisdictions();
    /// @notice `purposes` has a bit set for no `Purpose`.
    error UnknownPurposeBits(uint16 purposes);
    /// @notice `consumerCategories` has a bit set for no `Category`.
    error UnknownCategoryBits(uint8 consumerCategories);
    /// @notice `organisationTypes` has a bit set for no `OrganisationType` or for `None`, or is
    /// empty exactly when organisations are allowed.
    error InvalidOrganisationTypes(uint16 organisationTypes);
    /// @notice `jurisdictions` has a bit set for no `Country` or for `None`.
    error UnknownJurisdictionBits(uint64 jurisdictions);
    /// @notice Consent for `consumer` on product `productId` is already retracted.
    error AlreadyRetracted(uint256 productId, address consumer);
    /// @notice Consent for `consumer` on product `productId` is not retracted.
    error NotRetracted(uint256 productId, address consumer);
    /// @notice Product `productId` has no policy version `version`.
    error VersionNotFound(uint256 productId, uint32 version);
}

/// @title Errors of Credentials
interface ICredentialsErrors is IMarketErrors {
    /// @notice `trustIssuer` of an issuer that is trusted already.
    error IssuerAlreadyTrusted(address issuer);
    /// @notice `issuer` is not a trusted credential issuer (untrusting it, registering with its
    /// attestation, or re-admitting a subject as an issuer). Named apart from
    /// `IEligibilityErrors.IssuerNotTrusted(consumer)`, which says that a consumer's credential
    /// comes from an issuer no longer trusted.
    error NotTrustedIssuer(address issuer);
    /// @notice `caller` registers an attestation made out to `subject`.
    error NotSubject(address caller, address subject);
    /// @notice The attestation is for chain `actual`, this is chain `expected`.
    error WrongChain(uint256 expected, uint256 actual);
    /// @notice The attestation is issued in the future.
    error AttestationNotYetValid(uint64 issuedAt);
    /// @notice The attestation has expired.
    error AttestationExpired(uint64 expiresAt);
    /// @notice The attestation's expiry does not fit in a uint40.
    error ExpiryTooFar(uint64 expiresAt);
    /// @notice The issuer's nonce `nonce` has been used already.
    error AttestationReplayed(address issuer, uint256 nonce);
    /// @notice The organisation type does not fit the category (`None` exactly for individuals).
    error InvalidOrganisationType(Category category, OrganisationType organisationType);
    /// @notice The country is `None`.
    error UnsupportedCountry(Country country);
    /// @notice The credential hash is zero.
    error InvalidCredentialHash();
    /// @notice The encryption key is zero.
    error InvalidEncryptionKey();
    /// @notice `subject`'s credential is revoked already.
    error AlreadyRevoked(address subject);
    /// @notice `caller` is neither the issuer of the credential nor the consortium admin.
    error NotCredentialIssuer(address caller);
    /// @notice `subject`'s credential is revoked and it was not re-admitted (`readmit`).
    error SubjectRevoked(address subject);
    /// @notice `readmit` of a subject whose credential is not revoked.
    error NotRevoked(address subject);
    /// @notice `readmit` of a subject already re-admitted and not yet registered again.
    error AlreadyReadmitted(address subject);
}

/// @title Eligibility errors: a request or renewal refused by the eligibility check
/// @notice One error per failing `Verdict`, with the verdict's name: `Agreements.eligibility`
/// returns the verdict and a request or renewal reverts with the error of the same name. The
/// SDK, the CLI and the dApp rely on this, recognising an eligibility error by its name being
/// one of `VerdictNames` and explaining it as that verdict: renaming one of these errors means
/// renaming the `Verdict` member with it (MarketTypes.sol). `ProductNotFound` and
/// `NotRegistered`, with the same meaning, are inherited from the shared interfaces.
interface IEligibilityErrors is IMarketErrors, IProductErrors {
    /// @notice Product `productId` is deactivated.
    error ProductInactive(uint256 productId);
    /// @notice The consumer is the seller of product `productId`.
    error OwnProduct(uint256 productId);
    /// @notice Product `productId` has no consent policy yet.
    error NoPolicy(uint256 productId);
    /// @notice `consumer`'s credential has expired.
    error CredentialExpired(address consumer);
    /// @notice `consumer`'s credential is revoked.
    error CredentialRevoked(address consumer);
    /// @notice `consumer`'s credential was issued by an issuer that is no longer trusted. Kept
    /// with the verdict's name (see above); Credentials' own refusal of an untrusted issuer is
    /// `NotTrustedIssuer(issuer)`.
    error IssuerNotTrusted(address consumer);
    /// @notice The policy of product `productId` does not allow the consumer's category.
    error CategoryNotAllowed(uint256 productId, Category category);
    /// @notice The policy of product `productId` does not allow the consumer's organisation type.
    error OrganisationTypeNotAllowed(uint256 productId, OrganisationType organisationType);
    /// @notice The policy of product `productId` does not allow the consumer's country.
    error JurisdictionNotAllowed(uint256 productId, Country country);
    /// @notice The policy of product `productId` does not allow the purpose.
    error PurposeNotAllowed(uint256 productId, Purpose purpose);
    /// @notice The seller of product `productId` retracted consent for `consumer`.
    error ConsentRetracted(uint256 productId, address consumer);
}

/// @title Errors of a purchase refused for the terms the buyer saw
/// @notice Raised by Agreements (access requests, renewals) and Analytics (query requests): the
/// buyer pins the policy version and a maximum price, so a seller's change in between reverts.
interface IPurchaseErrors is IEligibilityErrors {
    /// @notice The price, `total`, is above the consumer's `maxTotalPrice`.
    error PriceAboveMax(uint256 total, uint256 maxTotalPrice);
    /// @notice The consumer agreed to policy version `expected`; the current one is `actual`.
    error PolicyVersionChanged(uint256 productId, uint32 expected, uint32 actual);
}

/// @title Errors of Agreements
interface IAgreementsErrors is IPurchaseErrors {
    /// @notice Zero periods, several periods of a one-time product, or an end beyond uint40.
    error InvalidPeriods(uint256 periods);
    /// @notice `periods` buys more than `MAX_TERM`; at most `maxPeriods` of this unit may be bought.
    error PeriodsAboveMax(uint256 periods, uint256 maxPeriods);
    /// @notice Agreement `agreementId` cannot be renewed directly: the policy now requires the
    /// seller's approval.
    error RenewalNeedsApproval(uint256 agreementId);
    /// @notice Product `productId` is an analytics product: it is sold one query at a time
    /// (`Analytics.requestQuery`), access to it buys nothing.
    error SoldPerQuery(uint256 productId);
    /// @notice The consumer agreed to pricing unit `expected`; the current one is `actual`.
    error PricingUnitChanged(uint256 productId, PricingUnit expected, PricingUnit actual);
    /// @notice The stream's owner no longer lets the seller of product `productId` grant
    /// access to stream `streamId`.
    error StreamGrantWithdrawn(uint256 productId, string streamId);
    /// @notice The consumer's agreement `agreementId` on this product still grants access.
    error AlreadyHasAccess(uint256 agreementId);
    /// @notice The consumer's agreement `agreementId` on this product is pending approval.
    error RequestPending(uint256 agreementId);
    /// @notice No agreement has id `agreementId`.
    error AgreementNotFound(uint256 agreementId);
    /// @notice Agreement `agreementId` is not pending (it is `status`).
    error NotPending(uint256 agreementId, AgreementStatus status);
    /// @notice Agreement `agreementId` is not active (pending, closed, terminated or ended).
    error NotActive(uint256 agreementId);
    /// @notice Agreement `agreementId` is for a one-time product: there is no period to renew.
    error NotRenewable(uint256 agreementId);
    /// @notice Agreement `agreementId` is not the consumer's latest on its product
    /// (`latestAgreementId` is).
    error AgreementSuperseded(uint256 agreementId, uint256 latestAgreementId);
    /// @notice `caller` is not the consumer of agreement `agreementId`.
    error NotConsumer(uint256 agreementId, address caller);
    /// @notice `caller` is not a delivery agent of the product of agreement `agreementId`.
    error NotDeliveryAgent(uint256 agreementId, address caller);
    /// @notice The envelope hash is zero.
    error InvalidEnvelopeHash();
    /// @notice `revokeStreamAccess` of agreement `agreementId`, which still grants access.
    error StillActive(uint256 agreementId);
}

/// @title Errors of data unions (DataUnion, DataUnionFactory)
/// @notice A join is checked like a purchase: the credential errors of `IEligibilityErrors`
/// (`NotRegistered`, `CredentialExpired`, `CredentialRevoked`, `IssuerNotTrusted`,
/// `CategoryNotAllowed`, `OrganisationTypeNotAllowed`, `JurisdictionNotAllowed`) name the
/// union's product.
interface IDataUnionErrors is IEligibilityErrors {
    /// @notice `caller` is not the union's admin.
    error NotAdmin(address caller);
    /// @notice `caller` is not the pending admin of a transfer.
    error NotPendingAdmin(address caller);
    /// @notice The admin fee `feeBps` is above `maxFeeBps` (basis points).
    error FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    /// @notice The minimum number of members must be between 1 and `max`.
    error InvalidMinMembers(uint256 minMembers, uint256 max);
    /// @notice The join policy allows nobody, or names values that do not exist.
    error InvalidJoinPolicy();
    /// @notice A member weight must be between 1 and `max`.
    error InvalidWeight(uint256 weight, uint256 max);
    /// @notice `account` cannot do this in its membership state `status`.
    error WrongMemberStatus(address account, MemberStatus status);
    /// @notice `amount` is more than the `available` earnings or fees.
    error AmountAboveWithdrawable(uint256 amount, uint256 available);
    /// @notice The signed withdrawal expired at `deadline`.
    error SignatureExpired(uint256 deadline);
    /// @notice No fee change is scheduled.
    error NoFeeChange();
    /// @notice The scheduled fee change takes effect at `effectiveAt`, not before.
    error FeeChangeNotDue(uint256 effectiveAt);
    /// @notice The stream path is not `/` followed by 1–64 characters of `[A-Za-z0-9_./-]`.
    error InvalidStreamPath();
    /// @notice The account `member` still holds a valid credential (for `removeIneligible`).
    error StillEligible(address member);
}

/// @title Errors of Analytics (dataset commitments and paid query jobs)
/// @notice A query request is checked like a purchase (`Agreements.checkEligible`): it reverts
/// with the `IEligibilityErrors` error of the verdict, and with `PolicyVersionChanged` or
/// `PriceAboveMax` (`IPurchaseErrors`) when the terms changed under the buyer.
interface IAnalyticsErrors is IPurchaseErrors {
    /// @notice The token, catalogue and policies given are not the ones `agreements` uses.
    error DependencyMismatch();
    /// @notice Product `productId` is a `productType` product, not an analytics product.
    error NotAnalyticsProduct(uint256 productId, ProductType productType);
    /// @notice The manifest hash is zero.
    error InvalidManifestHash();
    /// @notice The manifest URI starts with neither `ipfs://` nor `https://`.
    error InvalidManifestURI();
    /// @notice `count` bundle hashes for `agents` computation agents (one per agent, in the
    /// Catalogue's agent order), or one of them is zero.
    error InvalidBundleHashes(uint256 count, uint256 agents);
    /// @notice The dataset has no rows.
    error InvalidRows();
    /// @notice The smallest cohort revealed must be at least `MIN_COHORT` (2).
    error InvalidMinCohort(uint16 minCohort);
    /// @notice The job timeout must lie in [`MIN_JOB_TIMEOUT`, `MAX_JOB_TIMEOUT`] seconds.
    error InvalidJobTimeout(uint32 jobTimeout);
    /// @notice The privacy cost of one query is above the budget.
    error InvalidEpsilon(uint32 epsilonPerQuery, uint32 epsilonBudget);
    /// @notice With noise on, a re-commit cannot set the budget below what buyers already spent.
    error BudgetBelowSpent(uint32 epsilonBudget, uint32 epsilonSpent);
    /// @notice Product `productId` has no committed dataset.
    error NoDataset(uint256 productId);
    /// @notice The buyer saw the dataset with manifest hash `expected`; the current one is `actual`.
    error DatasetChanged(bytes32 expected, bytes32 actual);
    /// @notice The computation agents or threshold of product `productId` changed since the
    /// dataset (version) was committed: no node of the new list holds its shares.
    error AgentsChanged(uint256 productId);
    /// @notice The policy of product `productId` requires the seller's approval of each request,
    /// which query jobs do not support (yet).
    error QueryNeedsApproval(uint256 productId);
    /// @notice The query hash is zero.
    error InvalidQueryHash();
    /// @notice The privacy budget of product `productId` has `left` thousandths of ε left, less
    /// than one query costs.
    error PrivacyBudgetExhausted(uint256 productId, uint32 left);
    /// @notice No job has id `jobId`.
    error JobNotFound(uint256 jobId);
    /// @notice `caller` is not a computation agent of the product of job `jobId`.
    error NotComputationAgent(uint256 jobId, address caller);
    /// @notice Job `jobId` is not open (it is `status`).
    error JobNotOpen(uint256 jobId, JobStatus status);
    /// @notice Job `jobId`'s deadline `deadline` has passed: it can only be refunded.
    error JobExpired(uint256 jobId, uint40 deadline);
    /// @notice Job `jobId` can be refunded only after its deadline `deadline`.
    error JobNotExpired(uint256 jobId, uint40 deadline);
    /// @notice `node` already recorded a result or a refusal for job `jobId`.
    error AlreadyAnswered(uint256 jobId, address node);
    /// @notice The result hash is zero.
    error InvalidResultHash();
}
