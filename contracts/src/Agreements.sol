// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Catalogue} from "./Catalogue.sol";
import {Policies} from "./Policies.sol";
import {Credentials} from "./Credentials.sol";
import {IStreamRegistry} from "./interfaces/IStreamRegistry.sol";
import {IAgreementsErrors} from "./interfaces/IMarketErrors.sol";
import {
    AgreementStatus,
    Category,
    Country,
    CredentialStatus,
    OrganisationType,
    PricingUnit,
    Periods,
    ProductType,
    Purpose,
    Verdict
} from "./MarketTypes.sol";

/// @title Agreements
/// @notice Access requests, payments and the record of every agreement (MKT-FUN-16/17).
/// Analytics products are not sold here but one query at a time by `Analytics`, which checks
/// each request with `checkEligible`; requesting access to one reverts with `SoldPerQuery`.
/// A request is checked against the product's current consent policy and the consumer's
/// credential; a failed check reverts with an error naming the reason, and `eligibility`
/// returns the same verdict without a transaction. Payment in DataToken goes straight to the
/// seller, or into escrow until the seller approves (paid out) or rejects (refunded) when the
/// policy asks for manual approval. A request pins what the consumer saw: the policy version,
/// the pricing unit and the number of periods (a change in between reverts), and the agreement
/// records them. For stream and data union products the contract holds the StreamRegistry's trusted role and
/// grants the consumer SUBSCRIBE on the product's streams until `endsAt`, in the same transaction.
/// An agreement grants access until it ends, the seller terminates it (refunding the unused part),
/// or the consumer's credential stops being valid (revoked, expired, issuer no longer trusted;
/// nothing is refunded then). Retracting a consumer's consent only refuses their future requests
/// and renewals (MKT-FUN-17). Its errors are declared in `IAgreementsErrors`; a failed
/// eligibility check reverts with the `IEligibilityErrors` error named after the verdict.
/// @dev Invariants: the token balance of this contract equals `totalEscrowed`, which equals
/// the sum of `amount` over Pending agreements; an Active agreement's consumer was eligible
/// under the pinned policy version when it was created, approved or last renewed; an agreement
/// never grants more time, or another unit, than its consumer signed for; a consumer's SUBSCRIBE
/// on a stream never ends before the latest end of their live agreements on products selling it.
contract Agreements is ReentrancyGuardTransient, IAgreementsErrors {
    using SafeERC20 for IERC20;
    using Periods for PricingUnit;

    /// @notice An agreement, packed into two storage slots.
    struct Agreement {
        address consumer;
        uint40 startsAt; // 0 while pending
        uint40 endsAt; // 0 = never expires (one-time products) or pending
        AgreementStatus status;
        Purpose purpose;
        uint64 productId;
        uint32 policyVersion;
        uint16 periods; // bought in the last request or renewal
        PricingUnit pricingUnit; // unit of `periods`
        uint128 amount; // total paid net of refunds (or held in escrow while pending)
        bool delivered; // a delivery agent recorded a delivery (decides one-time refunds)
    }

    /// @notice Start of the current paid term and what was paid before it, written only when a
    /// renewal starts after a gap; all zero means the term began at `startsAt`.
    struct Term {
        uint40 startsAt;
        uint128 paidBefore;
    }

    /// @notice The most access time one request or renewal may buy: `periods × unitSeconds`
    /// must not exceed it (366 days: 8,784 hours, 366 days, 52 weeks or 12 months). A longer
    /// term is bought by renewing, each time against the policy then in force.
    uint256 public constant MAX_TERM = 366 days;
    uint8 private constant GRANT_PERMISSION = 4; // StreamRegistryV5.PermissionType.Grant

    IERC20 public immutable token;
    Catalogue public immutable catalogue;
    Policies public immutable policies;
    Credentials public immutable credentials;
    /// @notice Streamr's registry (from the Catalogue); zero when streams are not linked on chain.
    IStreamRegistry public immutable streamRegistry;

    uint256 public agreementCount;
    uint256 public totalEscrowed;
    mapping(uint256 agreementId => Agreement) private _agreements;
    mapping(uint256 productId => mapping(address consumer => uint256 agreementId)) public latestAgreementOf;
    mapping(uint256 agreementId => mapping(address agent => bytes32 envelopeHash)) public deliveryOf;
    mapping(uint256 agreementId => Term) private _terms;

    event AgreementCreated(
        uint256 indexed agreementId,
        uint256 indexed productId,
        address indexed consumer,
        address seller,
        Purpose purpose,
        uint32 policyVersion,
        AgreementStatus status,
        uint256 amount,
        uint40 startsAt,
        uint40 endsAt
    );
    event AgreementApproved(uint256 indexed agreementId, uint40 startsAt, uint40 endsAt);
    event AgreementRejected(uint256 indexed agreementId, uint256 refunded);
    event AgreementCancelled(uint256 indexed agreementId, uint256 refunded);
    event AgreementTerminated(uint256 indexed agreementId, uint256 refunded);
    event AgreementRenewed(
        uint256 indexed agreementId, uint16 periods, uint40 endsAt, uint256 amount, uint32 policyVersion
    );
    event DeliveryRecorded(uint256 indexed agreementId, address indexed agent, bytes32 envelopeHash);
    event StreamAccessRevoked(uint256 indexed agreementId, address indexed consumer);

    constructor(IERC20 token_, Catalogue catalogue_, Policies policies_, Credentials credentials_) {
        if (
            address(token_) == address(0) || address(catalogue_) == address(0) || address(policies_) == address(0)
                || address(credentials_) == address(0)
        ) revert ZeroAddress();
        token = token_;
        catalogue = catalogue_;
        policies = policies_;
        credentials = credentials_;
        streamRegistry = catalogue_.streamRegistry();
    }

    // --- consumers ---

    /// @notice Requests access to `productId` for `purpose`, paying `price × periods` from the
    /// caller's DataToken allowance (or holding it in escrow when the seller must approve).
    /// @param policyVersion The policy version the caller agreed to; reverts with
    /// `PolicyVersionChanged` when the seller changed it since.
    /// @param pricingUnit The unit the caller saw; reverts with `PricingUnitChanged` otherwise, so a
    /// seller cannot turn a month into an hour for the same price just before the request.
    /// @param periods Number of pricing units to buy; must be 1 for one-time products and at
    /// most `maxPeriods(unit)` otherwise (`PeriodsAboveMax`).
    /// @param maxTotalPrice The most the caller accepts to pay (guards against price changes).
    /// @return agreementId The new agreement.
    function requestAccess(
        uint256 productId,
        Purpose purpose,
        uint32 policyVersion,
        PricingUnit pricingUnit,
        uint16 periods,
        uint256 maxTotalPrice
    ) external nonReentrant returns (uint256 agreementId) {
        return _request(productId, purpose, policyVersion, pricingUnit, periods, maxTotalPrice);
    }

    /// @notice `requestAccess` with an EIP-2612 permit for `maxTotalPrice`, so approval and
    /// payment take one transaction. A permit that fails (e.g. already used by a front-runner)
    /// is ignored; the transfer then needs an allowance as usual.
    function requestAccessWithPermit(
        uint256 productId,
        Purpose purpose,
        uint32 policyVersion,
        PricingUnit pricingUnit,
        uint16 periods,
        uint256 maxTotalPrice,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256 agreementId) {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), maxTotalPrice, deadline, v, r, s) {} catch {}
        return _request(productId, purpose, policyVersion, pricingUnit, periods, maxTotalPrice);
    }

    /// @notice Buys `periods` more time on an active time-based agreement, from the later of
    /// now and its current end, paid straight to the seller. Re-checked against the current
    /// policy, whose version the agreement then pins. At most `maxPeriods(unit)` periods
    /// (`PeriodsAboveMax`). `policyVersion` and `pricingUnit` pin what the consumer saw, as in
    /// `requestAccess`.
    /// @dev When the current policy requires the seller's approval, renewal is refused
    /// (`RenewalNeedsApproval`): the consumer requests access again once this agreement has
    /// ended, and that request goes through escrow and `approve` like any other. Keeping one
    /// path for approval-gated access needs no second pending state on an active agreement.
    function renew(
        uint256 agreementId,
        uint32 policyVersion,
        PricingUnit pricingUnit,
        uint16 periods,
        uint256 maxTotalPrice
    ) external nonReentrant {
        Agreement storage a = _existing(agreementId);
        if (a.consumer != msg.sender) revert NotConsumer(agreementId, msg.sender);
        if (a.status != AgreementStatus.Active) revert NotActive(agreementId);
        uint256 productId = a.productId;
        // Only the consumer's latest agreement on a product can be extended, so that
        // `accessOf` and the one-live-agreement rule stay true.
        uint256 latest = latestAgreementOf[productId][msg.sender];
        if (latest != agreementId) revert AgreementSuperseded(agreementId, latest);
        (Verdict verdict, Catalogue.Terms memory terms, Policies.Policy memory policy, Category category,
            OrganisationType organisationType, Country country) = _evaluate(productId, msg.sender, a.purpose, 0);
        if (verdict != Verdict.Eligible) {
            _revertWith(verdict, productId, msg.sender, a.purpose, category, organisationType, country);
        }
        _checkPins(productId, policyVersion, pricingUnit, policy.version, terms.pricingUnit);
        uint256 unitSeconds = terms.pricingUnit.unitSeconds();
        if (unitSeconds == 0) revert NotRenewable(agreementId);
        if (policy.requiresApproval) revert RenewalNeedsApproval(agreementId);
        if (periods == 0) revert InvalidPeriods(periods);
        if (unitSeconds * periods > MAX_TERM) revert PeriodsAboveMax(periods, MAX_TERM / unitSeconds);
        uint256 total = uint256(terms.price) * periods;
        if (total > maxTotalPrice) revert PriceAboveMax(total, maxTotalPrice);

        uint256 from = a.endsAt;
        if (from <= block.timestamp) {
            // A new paid term after a gap: what was paid before it is spent (see `terminate`).
            from = block.timestamp;
            _terms[agreementId] = Term({startsAt: uint40(from), paidBefore: a.amount});
        }
        uint256 newEnd = from + unitSeconds * periods;
        if (newEnd > type(uint40).max) revert InvalidPeriods(periods);
        uint40 endsAt = uint40(newEnd);
        a.endsAt = endsAt;
        a.periods = periods;
        a.pricingUnit = terms.pricingUnit;
        a.policyVersion = policy.version;
        a.amount += uint128(total);
        emit AgreementRenewed(agreementId, periods, endsAt, total, policy.version);

        if (_sellsStreams(terms.productType)) _grantStreams(productId, terms.seller, msg.sender, endsAt);
        if (total > 0) token.safeTransferFrom(msg.sender, terms.seller, total);
    }

    /// @notice Withdraws a pending request; the escrowed payment is refunded.
    function cancel(uint256 agreementId) external nonReentrant {
        Agreement storage a = _existing(agreementId);
        if (a.consumer != msg.sender) revert NotConsumer(agreementId, msg.sender);
        uint128 refund = _closePending(agreementId, a, AgreementStatus.Cancelled);
        emit AgreementCancelled(agreementId, refund);
        if (refund > 0) token.safeTransfer(msg.sender, refund);
    }

    // --- sellers ---

    /// @notice Approves a pending request: access starts now and the escrow goes to the seller.
    /// The request is checked again, against the policy version it pinned: the product must still
    /// be active, the consumer's credential valid and their consent not retracted (otherwise the
    /// seller rejects it, which refunds the consumer).
    function approve(uint256 agreementId) external nonReentrant {
        Agreement storage a = _existing(agreementId);
        _onlySeller(a);
        if (a.status != AgreementStatus.Pending) revert NotPending(agreementId, a.status);
        uint256 productId = a.productId;
        address consumer = a.consumer;
        (Verdict verdict, Catalogue.Terms memory terms,, Category category, OrganisationType organisationType,
            Country country) = _evaluate(productId, consumer, a.purpose, a.policyVersion);
        if (verdict != Verdict.Eligible) {
            _revertWith(verdict, productId, consumer, a.purpose, category, organisationType, country);
        }
        uint128 amount = a.amount;
        uint40 startsAt = uint40(block.timestamp);
        uint40 endsAt = _endsAt(startsAt, a.pricingUnit, a.periods);
        a.status = AgreementStatus.Active;
        a.startsAt = startsAt;
        a.endsAt = endsAt;
        totalEscrowed -= amount;
        emit AgreementApproved(agreementId, startsAt, endsAt);
        if (_sellsStreams(terms.productType)) _grantStreams(productId, msg.sender, consumer, endsAt);
        if (amount > 0) token.safeTransfer(msg.sender, amount);
    }

    /// @notice Rejects a pending request; the escrowed payment is refunded to the consumer.
    function reject(uint256 agreementId) external nonReentrant {
        Agreement storage a = _existing(agreementId);
        _onlySeller(a);
        uint128 refund = _closePending(agreementId, a, AgreementStatus.Rejected);
        emit AgreementRejected(agreementId, refund);
        if (refund > 0) token.safeTransfer(a.consumer, refund);
    }

    /// @notice Ends an active agreement early. The seller refunds the unused part in the same
    /// transaction, from their own DataToken allowance to this contract: for time-based products
    /// the current paid term's payment pro rata to the time left; for one-time products all of it
    /// when nothing was delivered yet, nothing once a delivery was recorded. Stream access bought
    /// through this agreement is revoked.
    function terminate(uint256 agreementId) external nonReentrant {
        Agreement storage a = _existing(agreementId);
        _onlySeller(a);
        uint256 endsAt = a.endsAt;
        if (a.status != AgreementStatus.Active || (endsAt != 0 && endsAt <= block.timestamp)) {
            revert NotActive(agreementId);
        }
        uint256 refund;
        if (endsAt == 0) {
            if (!a.delivered) refund = a.amount;
        } else {
            Term memory t = _terms[agreementId];
            uint256 from = t.startsAt == 0 ? a.startsAt : t.startsAt;
            refund = (a.amount - t.paidBefore) * (endsAt - block.timestamp) / (endsAt - from);
        }
        uint256 productId = a.productId;
        address consumer = a.consumer;
        a.status = AgreementStatus.Terminated;
        a.amount -= uint128(refund);
        emit AgreementTerminated(agreementId, refund);
        if (endsAt != 0) _revokeStreams(agreementId, productId, consumer, endsAt);
        if (refund > 0) token.safeTransferFrom(msg.sender, consumer, refund);
    }

    /// @notice Brings the consumer's SUBSCRIBE on the product's streams back to what their live
    /// agreements still pay for, once this agreement no longer grants access before its end
    /// (credential revoked or expired, or terminated). Access paid through another agreement,
    /// granted by the stream's owner, and the consumer's other rights are kept. Anyone may call
    /// it, typically the seller's publisher right before it rotates the stream key.
    function revokeStreamAccess(uint256 agreementId) external nonReentrant {
        Agreement storage a = _existing(agreementId);
        if (_isActive(a)) revert StillActive(agreementId);
        _revokeStreams(agreementId, a.productId, a.consumer, a.endsAt);
    }

    // --- delivery agents ---

    /// @notice Records that the caller, a delivery agent of the product, delivered an envelope
    /// (its hash) for this agreement. A later delivery replaces the recorded hash.
    function recordDelivery(uint256 agreementId, bytes32 envelopeHash) external {
        Agreement storage a = _existing(agreementId);
        if (!catalogue.isDeliveryAgent(a.productId, msg.sender)) revert NotDeliveryAgent(agreementId, msg.sender);
        if (!_isActive(a)) revert NotActive(agreementId);
        if (envelopeHash == bytes32(0)) revert InvalidEnvelopeHash();
        if (!a.delivered) a.delivered = true;
        deliveryOf[agreementId][msg.sender] = envelopeHash;
        emit DeliveryRecorded(agreementId, msg.sender, envelopeHash);
    }

    // --- views ---

    /// @notice Whether `consumer` may request `productId` for `purpose` now, or why not.
    /// Does not check the consumer's balance or existing agreements.
    function eligibility(uint256 productId, address consumer, Purpose purpose) public view returns (Verdict verdict) {
        (verdict,,,,,) = _evaluate(productId, consumer, purpose, 0);
    }

    /// @notice Reverts with the `IEligibilityErrors` error of the verdict unless `consumer` may
    /// request `productId` for `purpose` now; the check of a purchase, for other contracts that
    /// sell a product's data (Analytics checks each query request with it).
    function checkEligible(uint256 productId, address consumer, Purpose purpose) external view {
        (Verdict verdict,,, Category category, OrganisationType organisationType, Country country) =
            _evaluate(productId, consumer, purpose, 0);
        if (verdict != Verdict.Eligible) {
            _revertWith(verdict, productId, consumer, purpose, category, organisationType, country);
        }
    }

    /// @notice `eligibility` for many products at once (the catalogue's "eligible for me" filter).
    function eligibilityMany(uint256[] calldata productIds, address consumer, Purpose purpose)
        external
        view
        returns (Verdict[] memory verdicts)
    {
        verdicts = new Verdict[](productIds.length);
        for (uint256 i; i < productIds.length; ++i) {
            verdicts[i] = eligibility(productIds[i], consumer, purpose);
        }
    }

    /// @notice The most periods of `unit` one request or renewal may buy (`MAX_TERM`);
    /// 1 for one-time products.
    function maxPeriods(PricingUnit unit) external pure returns (uint256) {
        uint256 unitSeconds = unit.unitSeconds();
        return unitSeconds == 0 ? 1 : MAX_TERM / unitSeconds;
    }

    /// @notice The stored agreement; reverts for an unknown id.
    function getAgreement(uint256 agreementId) external view returns (Agreement memory) {
        return _existing(agreementId);
    }

    /// @notice Whether the agreement grants access now: approved, not ended or terminated, and
    /// the consumer's credential is valid.
    function isActive(uint256 agreementId) external view returns (bool) {
        return _isActive(_agreements[agreementId]);
    }

    /// @notice The consumer's latest agreement on a product and whether it grants access now.
    function accessOf(uint256 productId, address consumer) external view returns (uint256 agreementId, bool active) {
        agreementId = latestAgreementOf[productId][consumer];
        active = _isActive(_agreements[agreementId]);
    }

    // --- internals ---

    function _request(
        uint256 productId,
        Purpose purpose,
        uint32 policyVersion,
        PricingUnit pricingUnit,
        uint16 periods,
        uint256 maxTotalPrice
    ) private returns (uint256 agreementId) {
        (Verdict verdict, Catalogue.Terms memory terms, Policies.Policy memory policy, Category category,
            OrganisationType organisationType, Country country) = _evaluate(productId, msg.sender, purpose, 0);
        if (verdict != Verdict.Eligible) {
            _revertWith(verdict, productId, msg.sender, purpose, category, organisationType, country);
        }
        if (terms.productType == ProductType.Analytics) revert SoldPerQuery(productId);
        _checkPins(productId, policyVersion, pricingUnit, policy.version, terms.pricingUnit);
        uint256 previous = latestAgreementOf[productId][msg.sender];
        if (previous != 0) {
            Agreement storage p = _agreements[previous];
            if (p.status == AgreementStatus.Pending) revert RequestPending(previous);
            if (_isActive(p)) revert AlreadyHasAccess(previous);
        }
        uint256 unitSeconds = terms.pricingUnit.unitSeconds();
        if (periods == 0 || (unitSeconds == 0 && periods != 1)) revert InvalidPeriods(periods);
        if (unitSeconds * periods > MAX_TERM) revert PeriodsAboveMax(periods, MAX_TERM / unitSeconds);
        uint256 total = uint256(terms.price) * periods;
        if (total > maxTotalPrice) revert PriceAboveMax(total, maxTotalPrice);

        bool pending = policy.requiresApproval;
        uint40 startsAt = pending ? 0 : uint40(block.timestamp);
        uint40 endsAt = pending ? 0 : _endsAt(startsAt, terms.pricingUnit, periods);
        AgreementStatus status = pending ? AgreementStatus.Pending : AgreementStatus.Active;

        agreementId = ++agreementCount;
        _agreements[agreementId] = Agreement({
            consumer: msg.sender,
            startsAt: startsAt,
            endsAt: endsAt,
            status: status,
            purpose: purpose,
            productId: uint64(productId),
            policyVersion: policy.version,
            periods: periods,
            pricingUnit: terms.pricingUnit,
            amount: uint128(total),
            delivered: false
        });
        latestAgreementOf[productId][msg.sender] = agreementId;
        if (pending) totalEscrowed += total;
        emit AgreementCreated(
            agreementId, productId, msg.sender, terms.seller, purpose, policy.version, status, total, startsAt, endsAt
        );

        if (!pending && _sellsStreams(terms.productType)) {
            _grantStreams(productId, terms.seller, msg.sender, endsAt);
        }
        if (total > 0) token.safeTransferFrom(msg.sender, pending ? address(this) : terms.seller, total);
    }

    /// @dev The single source of the eligibility rules, shared by requests, renewals, approvals
    /// and views. `pinnedVersion` 0 checks the current policy, otherwise that version. The policy
    /// and the consumer's retraction come in one call (`Policies.policyFor`).
    function _evaluate(uint256 productId, address consumer, Purpose purpose, uint32 pinnedVersion)
        private
        view
        returns (
            Verdict verdict,
            Catalogue.Terms memory terms,
            Policies.Policy memory policy,
            Category category,
            OrganisationType organisationType,
            Country country
        )
    {
        terms = catalogue.termsOf(productId);
        if (terms.seller == address(0)) return (Verdict.ProductNotFound, terms, policy, category, organisationType, country);
        if (!terms.active) return (Verdict.ProductInactive, terms, policy, category, organisationType, country);
        if (terms.seller == consumer) return (Verdict.OwnProduct, terms, policy, category, organisationType, country);
        bool retracted;
        (policy, retracted) = policies.policyFor(productId, pinnedVersion, consumer);
        if (policy.version == 0) return (Verdict.NoPolicy, terms, policy, category, organisationType, country);
        CredentialStatus status;
        (status, category, organisationType, country) = credentials.statusOf(consumer);
        if (status == CredentialStatus.NotRegistered) verdict = Verdict.NotRegistered;
        else if (status == CredentialStatus.Revoked) verdict = Verdict.CredentialRevoked;
        else if (status == CredentialStatus.Expired) verdict = Verdict.CredentialExpired;
        else if (status == CredentialStatus.IssuerNotTrusted) verdict = Verdict.IssuerNotTrusted;
        else if (policy.consumerCategories & (1 << uint8(category)) == 0) verdict = Verdict.CategoryNotAllowed;
        else if (category == Category.Organisation && policy.organisationTypes & (1 << uint8(organisationType)) == 0) {
            verdict = Verdict.OrganisationTypeNotAllowed;
        } else if (policy.jurisdictions & (uint64(1) << uint8(country)) == 0) verdict = Verdict.JurisdictionNotAllowed;
        else if (policy.purposes & (1 << uint8(purpose)) == 0) verdict = Verdict.PurposeNotAllowed;
        else if (retracted) verdict = Verdict.ConsentRetracted;
        else verdict = Verdict.Eligible;
    }

    function _revertWith(
        Verdict verdict,
        uint256 productId,
        address consumer,
        Purpose purpose,
        Category category,
        OrganisationType organisationType,
        Country country
    ) private pure {
        if (verdict == Verdict.ProductNotFound) revert ProductNotFound(productId);
        if (verdict == Verdict.ProductInactive) revert ProductInactive(productId);
        if (verdict == Verdict.OwnProduct) revert OwnProduct(productId);
        if (verdict == Verdict.NoPolicy) revert NoPolicy(productId);
        if (verdict == Verdict.NotRegistered) revert NotRegistered(consumer);
        if (verdict == Verdict.CredentialExpired) revert CredentialExpired(consumer);
        if (verdict == Verdict.CredentialRevoked) revert CredentialRevoked(consumer);
        if (verdict == Verdict.IssuerNotTrusted) revert IssuerNotTrusted(consumer);
        if (verdict == Verdict.CategoryNotAllowed) revert CategoryNotAllowed(productId, category);
        if (verdict == Verdict.OrganisationTypeNotAllowed) revert OrganisationTypeNotAllowed(productId, organisationType);
        if (verdict == Verdict.JurisdictionNotAllowed) revert JurisdictionNotAllowed(productId, country);
        if (verdict == Verdict.PurposeNotAllowed) revert PurposeNotAllowed(productId, purpose);
        revert ConsentRetracted(productId, consumer);
    }

    function _closePending(uint256 agreementId, Agreement storage a, AgreementStatus to)
        private
        returns (uint128 refund)
    {
        if (a.status != AgreementStatus.Pending) revert NotPending(agreementId, a.status);
        refund = a.amount;
        a.status = to;
        a.amount = 0;
        totalEscrowed -= refund;
    }

    /// @dev The seller of an agreement is the seller of its product, hence `NotSeller(productId, …)`,
    /// the error Catalogue and Policies raise for the same refusal.
    function _onlySeller(Agreement storage a) private view {
        if (catalogue.sellerOf(a.productId) != msg.sender) revert NotSeller(a.productId, msg.sender);
    }

    function _existing(uint256 agreementId) private view returns (Agreement storage a) {
        a = _agreements[agreementId];
        if (a.status == AgreementStatus.None) revert AgreementNotFound(agreementId);
    }

    /// @dev Retraction is deliberately not checked: it only refuses future requests and renewals.
    function _isActive(Agreement storage a) private view returns (bool) {
        if (a.status != AgreementStatus.Active || (a.endsAt != 0 && a.endsAt <= block.timestamp)) return false;
        (CredentialStatus status,,,) = credentials.statusOf(a.consumer);
        return status == CredentialStatus.Valid;
    }

    function _checkPins(
        uint256 productId,
        uint32 policyVersion,
        PricingUnit pricingUnit,
        uint32 currentVersion,
        PricingUnit currentUnit
    ) private pure {
        if (policyVersion != currentVersion) revert PolicyVersionChanged(productId, policyVersion, currentVersion);
        if (pricingUnit != currentUnit) revert PricingUnitChanged(productId, pricingUnit, currentUnit);
    }

    /// @dev Extends the consumer's SUBSCRIBE on every stream of the product to `endsAt`, keeping
    /// a longer expiry and every other right they hold. The seller must still hold GRANT on each
    /// stream (the owner may have withdrawn it since the stream was linked). The registry is
    /// trusted (deployed with the marketplace); it is called after our state changes and under
    /// the reentrancy guard.
    function _grantStreams(uint256 productId, address seller, address consumer, uint40 endsAt) private {
        if (address(streamRegistry) == address(0)) return;
        string[] memory streamIds = catalogue.streamsOf(productId);
        for (uint256 i; i < streamIds.length; ++i) {
            string memory streamId = streamIds[i];
            if (!streamRegistry.hasDirectPermission(streamId, seller, GRANT_PERMISSION)) {
                revert StreamGrantWithdrawn(productId, streamId);
            }
            IStreamRegistry.Permission memory p = streamRegistry.getDirectPermissionsForUser(streamId, consumer);
            if (p.subscribeExpiration >= endsAt) continue;
            streamRegistry.trustedSetPermissionsForUser(
                streamId, consumer, p.canEdit, p.canDelete, p.publishExpiration, endsAt, p.canGrant
            );
        }
    }

    /// @dev For an agreement that stopped granting access before `endedAt` (its end): lowers the
    /// consumer's SUBSCRIBE on each stream of the product to the latest end of their live
    /// agreements on any product that linked that stream. An expiry beyond `endedAt` was not set
    /// for this agreement (a later agreement or the stream's owner set it) and is kept.
    function _revokeStreams(uint256 agreementId, uint256 productId, address consumer, uint256 endedAt) private {
        if (address(streamRegistry) == address(0)) return;
        emit StreamAccessRevoked(agreementId, consumer);
        string[] memory streamIds = catalogue.streamsOf(productId);
        for (uint256 i; i < streamIds.length; ++i) {
            string memory streamId = streamIds[i];
            IStreamRegistry.Permission memory p = streamRegistry.getDirectPermissionsForUser(streamId, consumer);
            if (p.subscribeExpiration > endedAt) continue;
            uint256 keep = _liveAccessTo(streamId, consumer);
            if (keep >= p.subscribeExpiration) continue;
            streamRegistry.trustedSetPermissionsForUser(
                streamId, consumer, p.canEdit, p.canDelete, p.publishExpiration, keep, p.canGrant
            );
        }
    }

    /// @dev The latest end of the consumer's live agreements on products that linked the stream
    /// (0 when none); bounded by `Catalogue.MAX_PRODUCTS_PER_STREAM`.
    function _liveAccessTo(string memory streamId, address consumer) private view returns (uint256 until) {
        uint256[] memory productIds = catalogue.productsOfStream(streamId);
        for (uint256 i; i < productIds.length; ++i) {
            Agreement storage a = _agreements[latestAgreementOf[productIds[i]][consumer]];
            if (a.endsAt > until && _isActive(a)) until = a.endsAt;
        }
    }

    /// @dev Stream products and data unions (the union's stream) grant SUBSCRIBE.
    function _sellsStreams(ProductType productType) private pure returns (bool) {
        return productType == ProductType.Stream || productType == ProductType.DataUnion;
    }

    function _endsAt(uint40 startsAt, PricingUnit unit, uint16 periods) private pure returns (uint40) {
        uint256 unitSeconds = unit.unitSeconds();
        return unitSeconds == 0 ? 0 : uint40(startsAt + unitSeconds * periods);
    }
}
