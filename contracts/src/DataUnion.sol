// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Catalogue} from "./Catalogue.sol";
import {Policies} from "./Policies.sol";
import {Agreements} from "./Agreements.sol";
import {Credentials} from "./Credentials.sol";
import {IStreamRegistry} from "./interfaces/IStreamRegistry.sol";
import {IDataUnionErrors} from "./interfaces/IMarketErrors.sol";
import {
    Category,
    Country,
    CredentialStatus,
    MemberStatus,
    Modality,
    OrganisationType,
    PricingUnit,
    ProductType,
    RemovalReason,
    Verdict
} from "./MarketTypes.sol";

/// @title DataUnion
/// @notice Individuals pool their data in one stream sold as one `DataUnion` product, and share
/// its revenue (MKT-FUN-18). The union contract is the product's seller and payee: every
/// purchase path of `Agreements` pays it. Members join themselves by holding a registered
/// credential that the union's join policy allows (checked here, like a purchase; no join
/// server), optionally subject to the admin's approval; joining grants PUBLISH on the union's
/// stream and parting or removal revokes it, in the same transaction. The admin builds and
/// markets the union for a fee of at most `MAX_FEE_BPS`, changed only after `FEE_NOTICE`.
/// The product can be bought only while the union has at least `minMembers` members.
/// Created as a clone by `DataUnionFactory`. Its errors are declared in `IDataUnionErrors`.
/// @dev Revenue accounting is O(1) per member: revenue that arrived since the last settlement
/// (the token balance not yet accounted for) is split into the admin fee and the members'
/// share, which adds `share / totalWeight` to `revenuePerWeight`; the remainder is `dust`.
/// A member's earnings grow by `weight × (revenuePerWeight − revenuePerWeightPaid)`.
/// Every membership or weight change, fee change and withdrawal settles first, so revenue is
/// shared among exactly the members of the time it arrived.
/// Invariants: totalRevenue == Σ earnings (withdrawn included) + feesAccrued + dust, after a
/// settlement; token balance == totalRevenue − Σ withdrawn − feesWithdrawn; totalWeight == Σ
/// weight of Active members; only Active members hold PUBLISH granted by the union.
contract DataUnion is Initializable, EIP712, ReentrancyGuardTransient, IDataUnionErrors {
    using SafeERC20 for IERC20;

    /// @notice One account's membership, kept after it parts (earnings stay withdrawable).
    struct Member {
        MemberStatus status;
        uint32 weight; // share of revenue per unit of weight; 0 unless Active
        uint40 joinedAt; // last join
        uint40 leftAt; // last part or removal; 0 while Active
        RemovalReason removalReason; // of the last removal
        bool removed; // the last exit was a removal, not a part
        uint256 revenuePerWeightPaid; // revenuePerWeight when earnings were last brought up to date
        uint256 earnings; // settled earnings, withdrawn included
        uint256 withdrawn;
    }

    /// @notice Who may join: bitmasks over the credential facts, as in a consent policy.
    struct JoinPolicy {
        uint8 categories; // of Category
        uint16 organisationTypes; // of OrganisationType; only checked for organisations
        uint64 jurisdictions; // of Country
        bool requiresApproval; // the admin approves each join
    }

    /// @notice What the creator chooses when creating a union.
    struct Setup {
        uint16 feeBps; // admin fee in basis points, at most MAX_FEE_BPS
        uint32 minMembers; // the product is on sale only with at least this many members
        JoinPolicy joinPolicy;
        string streamPath; // the union's stream is `<union address><streamPath>`
        Modality modality;
        uint96 price;
        PricingUnit pricingUnit; // a time unit: unions are sold by time
        Catalogue.Description description;
        Policies.Policy policy; // consent for consumers; `version` and `updatedAt` are ignored
    }

    uint256 public constant MAX_FEE_BPS = 5_000;
    uint256 public constant FEE_NOTICE = 7 days;
    uint256 public constant MAX_WEIGHT = 1_000;
    uint256 public constant MAX_MIN_MEMBERS = 10_000;
    uint256 private constant BPS = 10_000;
    uint256 private constant MAX_STREAM_PATH = 64;
    uint8 private constant PUBLISH_PERMISSION = 2; // StreamRegistryV5.PermissionType.Publish
    bytes32 private constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(address member,address to,uint256 amount,uint256 nonce,uint256 deadline)");

    IERC20 public immutable token;
    Catalogue public immutable catalogue;
    Policies public immutable policies;
    Agreements public immutable agreements;
    Credentials public immutable credentials;
    IStreamRegistry public immutable streamRegistry;
    /// @notice The only account that may initialize a clone.
    address public immutable factory;

    address public admin;
    address public pendingAdmin;
    uint256 public productId;
    string public streamId;
    uint16 public feeBps;
    uint16 public pendingFeeBps;
    uint40 public feeEffectiveAt; // 0 = no change scheduled
    uint32 public minMembers;
    bool public listed; // the admin's choice; the product is active iff listed and big enough
    JoinPolicy public joinPolicy;

    uint256 public memberCount; // Active members
    uint256 public totalWeight; // Σ weight of Active members
    uint256 public revenuePerWeight;
    uint256 public totalRevenue; // every token unit ever received
    uint256 public feesAccrued; // admin fees ever (withdrawn included)
    uint256 public feesWithdrawn;
    uint256 public dust; // members' share that did not divide by totalWeight
    uint256 private _accounted; // token balance already settled
    mapping(address account => Member) private _members;
    /// @notice Next nonce of each member's signed withdrawal.
    mapping(address member => uint256) public nonces;

    event UnionInitialized(
        address indexed admin,
        uint256 indexed productId,
        string streamId,
        uint16 feeBps,
        uint32 minMembers,
        uint8 categories,
        uint16 organisationTypes,
        uint64 jurisdictions,
        bool requiresApproval
    );
    event JoinPolicyUpdated(uint8 categories, uint16 organisationTypes, uint64 jurisdictions, bool requiresApproval);
    event JoinRequested(address indexed member);
    event JoinRejected(address indexed member);
    event JoinCancelled(address indexed member);
    event MemberJoined(address indexed member, uint32 weight);
    event MemberParted(address indexed member);
    event MemberRemoved(address indexed member, RemovalReason reason);
    event MemberWeightChanged(address indexed member, uint32 weight);
    event RevenueSettled(uint256 amount, uint256 fee, uint256 toMembers, uint256 dust, uint256 revenuePerWeight);
    event EarningsWithdrawn(address indexed member, address indexed to, uint256 amount);
    event FeesWithdrawn(address indexed to, uint256 amount);
    event DustSwept(uint256 amount);
    event FeeChangeScheduled(uint16 feeBps, uint40 effectiveAt);
    event FeeChangeCancelled();
    event FeeChanged(uint16 previousFeeBps, uint16 feeBps);
    event ListingChanged(bool listed);
    event AdminTransferStarted(address indexed admin, address indexed pendingAdmin);
    event AdminTransferred(address indexed previousAdmin, address indexed admin);

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    /// @dev Deployed once by the factory as the template of every union; clones share these
    /// immutables.
    constructor(IERC20 token_, Catalogue catalogue_, Policies policies_, Agreements agreements_, Credentials credentials_)
        EIP712("Kraken data union", "1")
    {
        IStreamRegistry registry = catalogue_.streamRegistry();
        if (
            address(token_) == address(0) || address(policies_) == address(0) || address(agreements_) == address(0)
                || address(credentials_) == address(0) || address(registry) == address(0)
        ) revert ZeroAddress();
        token = token_;
        catalogue = catalogue_;
        policies = policies_;
        agreements = agreements_;
        credentials = credentials_;
        streamRegistry = registry;
        factory = msg.sender;
        _disableInitializers();
    }

    /// @notice Sets up a new clone for `admin_`: creates the union's stream, publishes the
    /// product with it, sets its consent policy and keeps it off sale until `minMembers` join.
    function initialize(address admin_, Setup calldata s) external initializer {
        if (msg.sender != factory) revert NotAdmin(msg.sender);
        if (admin_ == address(0)) revert ZeroAddress();
        if (s.feeBps > MAX_FEE_BPS) revert FeeTooHigh(s.feeBps, MAX_FEE_BPS);
        if (s.minMembers == 0 || s.minMembers > MAX_MIN_MEMBERS) revert InvalidMinMembers(s.minMembers, MAX_MIN_MEMBERS);
        _checkJoinPolicy(s.joinPolicy);
        _checkStreamPath(bytes(s.streamPath));

        admin = admin_;
        feeBps = s.feeBps;
        minMembers = s.minMembers;
        joinPolicy = s.joinPolicy;
        listed = true;
        string memory id = string.concat(Strings.toHexString(address(this)), s.streamPath);
        streamId = id;

        streamRegistry.createStream(s.streamPath, "{\"partitions\":1}");
        string[] memory streamIds = new string[](1);
        streamIds[0] = id;
        uint256 pid = catalogue.publish(
            ProductType.DataUnion, s.modality, s.price, s.pricingUnit, new address[](0), 0, s.description, streamIds
        );
        productId = pid;
        _setPolicy(pid, s.policy);
        catalogue.deactivate(pid);
        emit UnionInitialized(
            admin_,
            pid,
            id,
            s.feeBps,
            s.minMembers,
            s.joinPolicy.categories,
            s.joinPolicy.organisationTypes,
            s.joinPolicy.jurisdictions,
            s.joinPolicy.requiresApproval
        );
    }

    // --- members ---

    /// @notice Joins the union (or asks to, when the admin approves joins). The caller's
    /// credential must be valid and allowed by the join policy. A member the admin removed
    /// (for another reason than an invalid credential) always needs the admin's approval.
    function join() external nonReentrant {
        Member storage m = _members[msg.sender];
        MemberStatus status = m.status;
        if (status == MemberStatus.Active || status == MemberStatus.Pending) revert WrongMemberStatus(msg.sender, status);
        _checkEligible(msg.sender);
        bool removedByAdmin = m.removed && m.removalReason != RemovalReason.CredentialInvalid;
        if (joinPolicy.requiresApproval || removedByAdmin) {
            m.status = MemberStatus.Pending;
            emit JoinRequested(msg.sender);
            return;
        }
        _admit(msg.sender, m);
    }

    /// @notice Withdraws the caller's pending join request.
    function cancelJoin() external {
        Member storage m = _pending(msg.sender);
        m.status = _statusBeforeRequest(m);
        emit JoinCancelled(msg.sender);
    }

    /// @notice Leaves the union: no share of revenue that arrives from now on, and no more
    /// PUBLISH on the union's stream. Earnings so far stay withdrawable.
    function part() external nonReentrant {
        Member storage m = _active(msg.sender);
        _leave(msg.sender, m, MemberStatus.Parted);
        emit MemberParted(msg.sender);
    }

    // --- earnings ---

    /// @notice Brings the accounts up to date with the revenue received so far (anyone may call).
    function settle() external nonReentrant {
        _settle();
    }

    /// @notice Pays `amount` of the caller's earnings (`type(uint256).max`: all) to the caller.
    function withdraw(uint256 amount) external nonReentrant returns (uint256) {
        return _withdraw(msg.sender, msg.sender, amount);
    }

    /// @notice Pays `amount` of the caller's earnings (`type(uint256).max`: all) to `to`.
    function withdrawTo(address to, uint256 amount) external nonReentrant returns (uint256) {
        return _withdraw(msg.sender, to, amount);
    }

    /// @notice Pays `amount` of `member`'s earnings to `to` with the member's EIP-712 signature
    /// of `Withdraw(member, to, amount, nonce, deadline)`, so that anyone can submit it for a
    /// member without gas. Each signature is used once (`nonces`).
    function withdrawWithSignature(address member, address to, uint256 amount, uint256 deadline, bytes calldata signature)
        external
        nonReentrant
        returns (uint256)
    {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        uint256 nonce = nonces[member];
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(WITHDRAW_TYPEHASH, member, to, amount, nonce, deadline)));
        if (!SignatureChecker.isValidSignatureNow(member, digest, signature)) revert InvalidSignature();
        nonces[member] = nonce + 1;
        return _withdraw(member, to, amount);
    }

    // --- admin: membership ---

    /// @notice Admits a pending member, whose credential is checked again.
    function approveJoin(address member) external onlyAdmin nonReentrant {
        Member storage m = _pending(member);
        _checkEligible(member);
        _admit(member, m);
    }

    /// @notice Turns down a pending join request.
    function rejectJoin(address member) external onlyAdmin {
        Member storage m = _pending(member);
        m.status = _statusBeforeRequest(m);
        emit JoinRejected(member);
    }

    /// @notice Removes a member, with a reason recorded on chain. Earnings so far stay theirs.
    function removeMember(address member, RemovalReason reason) external onlyAdmin nonReentrant {
        Member storage m = _active(member);
        m.removalReason = reason;
        _leave(member, m, MemberStatus.Removed);
        emit MemberRemoved(member, reason);
    }

    /// @notice Removes a member whose credential is no longer valid (revoked, expired, issuer
    /// no longer trusted); anyone may call it.
    function removeIneligible(address member) external nonReentrant {
        Member storage m = _active(member);
        (CredentialStatus status,,,) = credentials.statusOf(member);
        if (status == CredentialStatus.Valid) revert StillEligible(member);
        m.removalReason = RemovalReason.CredentialInvalid;
        _leave(member, m, MemberStatus.Removed);
        emit MemberRemoved(member, RemovalReason.CredentialInvalid);
    }

    /// @notice Sets an active member's share of revenue per unit of weight (1 to `MAX_WEIGHT`),
    /// from now on.
    function setWeight(address member, uint32 weight) external onlyAdmin nonReentrant {
        if (weight == 0 || weight > MAX_WEIGHT) revert InvalidWeight(weight, MAX_WEIGHT);
        Member storage m = _active(member);
        _settle();
        _accrue(m);
        totalWeight = totalWeight - m.weight + weight;
        m.weight = weight;
        emit MemberWeightChanged(member, weight);
    }

    /// @notice Replaces the join policy for future joins; members stay.
    function setJoinPolicy(JoinPolicy calldata p) external onlyAdmin {
        _checkJoinPolicy(p);
        joinPolicy = p;
        emit JoinPolicyUpdated(p.categories, p.organisationTypes, p.jurisdictions, p.requiresApproval);
    }

    // --- admin: fee ---

    /// @notice Schedules a new admin fee, applied by `applyFeeChange` after `FEE_NOTICE`, so
    /// that members can part first. Replaces a scheduled change (its notice restarts).
    function scheduleFeeChange(uint16 newFeeBps) external onlyAdmin {
        if (newFeeBps > MAX_FEE_BPS) revert FeeTooHigh(newFeeBps, MAX_FEE_BPS);
        uint40 effectiveAt = uint40(block.timestamp + FEE_NOTICE);
        pendingFeeBps = newFeeBps;
        feeEffectiveAt = effectiveAt;
        emit FeeChangeScheduled(newFeeBps, effectiveAt);
    }

    function cancelFeeChange() external onlyAdmin {
        if (feeEffectiveAt == 0) revert NoFeeChange();
        pendingFeeBps = 0;
        feeEffectiveAt = 0;
        emit FeeChangeCancelled();
    }

    /// @notice Applies the scheduled fee once its notice has passed (anyone may call). Revenue
    /// received before is settled at the old fee first: a change never applies backwards.
    function applyFeeChange() external nonReentrant {
        uint256 effectiveAt = feeEffectiveAt;
        if (effectiveAt == 0) revert NoFeeChange();
        if (block.timestamp < effectiveAt) revert FeeChangeNotDue(effectiveAt);
        _settle();
        uint16 previous = feeBps;
        feeBps = pendingFeeBps;
        pendingFeeBps = 0;
        feeEffectiveAt = 0;
        emit FeeChanged(previous, feeBps);
    }

    /// @notice Pays `amount` of the accrued admin fees (`type(uint256).max`: all) to `to`.
    function withdrawFees(address to, uint256 amount) external onlyAdmin nonReentrant returns (uint256) {
        if (to == address(0)) revert ZeroAddress();
        _settle();
        uint256 available = feesAccrued - feesWithdrawn;
        if (amount == type(uint256).max) amount = available;
        if (amount == 0 || amount > available) revert AmountAboveWithdrawable(amount, available);
        feesWithdrawn += amount;
        _accounted -= amount;
        emit FeesWithdrawn(to, amount);
        token.safeTransfer(to, amount);
        return amount;
    }

    /// @notice Moves the dust (members' share that did not divide evenly, or arrived while the
    /// union had no members) to the admin's fees.
    function sweepDust() external onlyAdmin nonReentrant {
        _settle();
        uint256 amount = dust;
        dust = 0;
        feesAccrued += amount;
        emit DustSwept(amount);
    }

    // --- admin: the product, as its seller ---

    /// @notice Puts the product on sale (when the union is big enough) or takes it off.
    function setListed(bool listed_) external onlyAdmin {
        listed = listed_;
        emit ListingChanged(listed_);
        _syncListing();
    }

    function setPrice(uint96 price, PricingUnit pricingUnit) external onlyAdmin {
        catalogue.setPrice(productId, price, pricingUnit);
    }

    function updateDescription(Catalogue.Description calldata description) external onlyAdmin {
        catalogue.updateDescription(productId, description);
    }

    /// @notice Sets a new version of the consumers' consent policy.
    function setPolicy(Policies.Policy calldata policy) external onlyAdmin {
        _setPolicy(productId, policy);
    }

    function retractConsent(address consumer) external onlyAdmin {
        policies.retractConsent(productId, consumer);
    }

    function restoreConsent(address consumer) external onlyAdmin {
        policies.restoreConsent(productId, consumer);
    }

    /// @notice Approves a pending purchase; the escrow is settled to the current members.
    function approveRequest(uint256 agreementId) external onlyAdmin nonReentrant {
        agreements.approve(agreementId);
        _settle();
    }

    function rejectRequest(uint256 agreementId) external onlyAdmin {
        agreements.reject(agreementId);
    }

    /// @notice Starts handing the union to `newAdmin`, who must accept.
    function transferAdmin(address newAdmin) external onlyAdmin {
        pendingAdmin = newAdmin;
        emit AdminTransferStarted(admin, newAdmin);
    }

    function acceptAdmin() external {
        if (msg.sender != pendingAdmin || msg.sender == address(0)) revert NotPendingAdmin(msg.sender);
        emit AdminTransferred(admin, msg.sender);
        admin = msg.sender;
        pendingAdmin = address(0);
    }

    // --- views ---

    function memberOf(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @notice What `account` can withdraw now, revenue not yet settled included.
    function withdrawable(address account) public view returns (uint256) {
        Member storage m = _members[account];
        return _earnings(m) - m.withdrawn;
    }

    /// @notice Everything `account` earned as a member, withdrawn included.
    function earningsOf(address account) external view returns (uint256) {
        return _earnings(_members[account]);
    }

    /// @notice Admin fees not yet withdrawn (revenue not yet settled excluded).
    function feesWithdrawable() external view returns (uint256) {
        return feesAccrued - feesWithdrawn;
    }

    /// @notice Revenue received but not yet settled.
    function unsettledRevenue() external view returns (uint256) {
        return token.balanceOf(address(this)) - _accounted;
    }

    /// @notice Whether `account` may join now, or the first reason why not.
    function joinVerdict(address account) public view returns (Verdict) {
        (CredentialStatus status, Category category, OrganisationType organisationType, Country country) =
            credentials.statusOf(account);
        if (status == CredentialStatus.NotRegistered) return Verdict.NotRegistered;
        if (status == CredentialStatus.Revoked) return Verdict.CredentialRevoked;
        if (status == CredentialStatus.Expired) return Verdict.CredentialExpired;
        if (status == CredentialStatus.IssuerNotTrusted) return Verdict.IssuerNotTrusted;
        JoinPolicy memory p = joinPolicy;
        if (p.categories & (1 << uint8(category)) == 0) return Verdict.CategoryNotAllowed;
        if (category == Category.Organisation && p.organisationTypes & (1 << uint8(organisationType)) == 0) {
            return Verdict.OrganisationTypeNotAllowed;
        }
        if (p.jurisdictions & (uint64(1) << uint8(country)) == 0) return Verdict.JurisdictionNotAllowed;
        return Verdict.Eligible;
    }

    /// @notice The EIP-712 domain separator of signed withdrawals.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // --- internals ---

    /// @dev Shares the revenue received since the last settlement among the current members.
    function _settle() private {
        uint256 balance = token.balanceOf(address(this));
        uint256 incoming = balance - _accounted;
        if (incoming == 0) return;
        _accounted = balance;
        totalRevenue += incoming;
        uint256 fee = incoming * feeBps / BPS;
        uint256 share = incoming - fee;
        uint256 weight = totalWeight;
        uint256 perWeight = weight == 0 ? 0 : share / weight;
        uint256 rest = share - perWeight * weight;
        feesAccrued += fee;
        dust += rest;
        revenuePerWeight += perWeight;
        emit RevenueSettled(incoming, fee, share - rest, rest, revenuePerWeight);
    }

    function _accrue(Member storage m) private {
        uint256 current = revenuePerWeight;
        if (m.weight != 0) m.earnings += m.weight * (current - m.revenuePerWeightPaid);
        m.revenuePerWeightPaid = current;
    }

    /// @dev Earnings including the member's part of revenue not yet settled (as `_settle` would
    /// share it now).
    function _earnings(Member storage m) private view returns (uint256) {
        uint256 current = revenuePerWeight;
        uint256 weight = totalWeight;
        if (weight != 0) {
            uint256 incoming = token.balanceOf(address(this)) - _accounted;
            current += (incoming - incoming * feeBps / BPS) / weight;
        }
        return m.earnings + m.weight * (current - m.revenuePerWeightPaid);
    }

    function _withdraw(address member, address to, uint256 amount) private returns (uint256) {
        if (to == address(0)) revert ZeroAddress();
        Member storage m = _members[member];
        _settle();
        _accrue(m);
        uint256 available = m.earnings - m.withdrawn;
        if (amount == type(uint256).max) amount = available;
        if (amount == 0 || amount > available) revert AmountAboveWithdrawable(amount, available);
        m.withdrawn += amount;
        _accounted -= amount;
        emit EarningsWithdrawn(member, to, amount);
        token.safeTransfer(to, amount);
        return amount;
    }

    /// @dev Settles, then makes `member` Active with weight 1 and PUBLISH on the stream.
    function _admit(address member, Member storage m) private {
        _settle();
        m.status = MemberStatus.Active;
        m.weight = 1;
        m.joinedAt = uint40(block.timestamp);
        m.leftAt = 0;
        m.revenuePerWeightPaid = revenuePerWeight;
        ++memberCount;
        ++totalWeight;
        emit MemberJoined(member, 1);
        streamRegistry.setExpirationTime(streamId, member, PUBLISH_PERMISSION, type(uint256).max);
        _syncListing();
    }

    /// @dev Settles and brings the member's earnings up to date, then ends the membership and
    /// revokes PUBLISH.
    function _leave(address member, Member storage m, MemberStatus to) private {
        _settle();
        _accrue(m);
        totalWeight -= m.weight;
        --memberCount;
        m.weight = 0;
        m.status = to;
        m.removed = to == MemberStatus.Removed;
        m.leftAt = uint40(block.timestamp);
        streamRegistry.setExpirationTime(streamId, member, PUBLISH_PERMISSION, 0);
        _syncListing();
    }

    /// @dev The product is active exactly while the admin lists it and the union is big enough.
    function _syncListing() private {
        bool want = listed && memberCount >= minMembers;
        uint256 pid = productId;
        bool active = catalogue.termsOf(pid).active;
        if (want && !active) catalogue.reactivate(pid);
        else if (!want && active) catalogue.deactivate(pid);
    }

    function _setPolicy(uint256 pid, Policies.Policy calldata p) private {
        policies.setPolicy(
            pid, p.purposes, p.consumerCategories, p.organisationTypes, p.jurisdictions, p.requiresApproval, p.retentionDays
        );
    }

    function _checkEligible(address account) private view {
        Verdict verdict = joinVerdict(account);
        if (verdict == Verdict.Eligible) return;
        (, Category category, OrganisationType organisationType, Country country) = credentials.statusOf(account);
        if (verdict == Verdict.NotRegistered) revert NotRegistered(account);
        if (verdict == Verdict.CredentialRevoked) revert CredentialRevoked(account);
        if (verdict == Verdict.CredentialExpired) revert CredentialExpired(account);
        if (verdict == Verdict.IssuerNotTrusted) revert IssuerNotTrusted(account);
        if (verdict == Verdict.CategoryNotAllowed) revert CategoryNotAllowed(productId, category);
        if (verdict == Verdict.OrganisationTypeNotAllowed) revert OrganisationTypeNotAllowed(productId, organisationType);
        revert JurisdictionNotAllowed(productId, country);
    }

    function _checkJoinPolicy(JoinPolicy calldata p) private view {
        uint8 allCategories = policies.ALL_CATEGORIES();
        uint16 allTypes = policies.ALL_ORGANISATION_TYPES();
        uint64 allCountries = policies.ALL_JURISDICTIONS();
        bool organisations = p.categories & (1 << uint8(Category.Organisation)) != 0;
        if (
            p.categories == 0 || p.categories & ~allCategories != 0 || p.jurisdictions == 0
                || p.jurisdictions & ~allCountries != 0 || p.organisationTypes & ~allTypes != 0
                || organisations != (p.organisationTypes != 0)
        ) revert InvalidJoinPolicy();
    }

    /// @dev `/` then 1–64 characters of [A-Za-z0-9_./-], as Streamr accepts for a path.
    function _checkStreamPath(bytes calldata path) private pure {
        if (path.length < 2 || path.length > MAX_STREAM_PATH + 1 || path[0] != "/") revert InvalidStreamPath();
        for (uint256 i = 1; i < path.length; ++i) {
            bytes1 c = path[i];
            bool ok = (c >= "-" && c <= "9") || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "_";
            if (!ok) revert InvalidStreamPath();
        }
    }

    function _statusBeforeRequest(Member storage m) private view returns (MemberStatus) {
        if (m.joinedAt == 0) return MemberStatus.None;
        return m.removed ? MemberStatus.Removed : MemberStatus.Parted;
    }

    function _active(address account) private view returns (Member storage m) {
        m = _members[account];
        if (m.status != MemberStatus.Active) revert WrongMemberStatus(account, m.status);
    }

    function _pending(address account) private view returns (Member storage m) {
        m = _members[account];
        if (m.status != MemberStatus.Pending) revert WrongMemberStatus(account, m.status);
    }
}
