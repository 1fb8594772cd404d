// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../../utils/Test.sol";
import {DataToken} from "../../../src/DataToken.sol";
import {Credentials} from "../../../src/Credentials.sol";
import {Catalogue} from "../../../src/Catalogue.sol";
import {Policies} from "../../../src/Policies.sol";
import {Agreements} from "../../../src/Agreements.sol";
import {DataUnion} from "../../../src/DataUnion.sol";
import {
    Category, Country, MemberStatus, OrganisationType, PricingUnit, Purpose, RemovalReason, Verdict
} from "../../../src/MarketTypes.sol";

/// @dev Drives one DataUnion with random but mostly valid calls from a fixed cast: `members`
/// (registered individuals, keys `memberPks`), `consumers` (buyers of the union's product), the
/// union's admin, the token admin (donations are mints straight to the union) and the credential
/// issuer (revocations and re-registrations). Every action swallows reverts (try/catch), and a
/// rejected call leaves the ghosts untouched.
///
/// The handler keeps its OWN model of the union, never read back from it:
/// - membership: `modelActive[m]`, `modelWeight[m]`, `modelTotalWeight`, `modelCount`, the fee
///   in force `modelFee` and the scheduled one (`modelPendingFee`, `modelFeeDueAt`);
/// - revenue: `ghostRevenue` (every token unit sent to the union: purchases and donations), of
///   which `ghostUnsettled` not yet split;
/// - the split: every call that settles in the contract (admission, part, removal, setWeight,
///   withdrawals, fee withdrawal, sweep, fee change, settle) is mirrored by `_modelSettle`, which
///   splits `ghostUnsettled` with the membership and fee of the handler's model: fee =
///   amount × fee / 10 000, and each active member gets floor(share / totalWeight) × weight, the
///   rest to dust. Revenue is split in batches at settlement and not per arrival because rounding
///   of a batch differs from the sum of per-arrival roundings (floor(a+b) ≠ floor(a)+floor(b));
///   since every membership, weight and fee change settles first, the members and fee at the
///   settlement are those in force when each part of the batch arrived.
/// - `ghostExpected[m]` (earnings), `ghostFees` (fees accrued, swept dust included), `ghostDust`,
///   `ghostWithdrawn[m]`, `ghostWithdrawnTotal`, `ghostFeesWithdrawn`.
/// - `ghostViolations`: checks made inside actions that failed (e.g. a call the model says must
///   succeed reverted); the invariant suite requires 0, since failOnRevert is off.
contract UnionHandler is Test {
    uint256 private constant BPS = 10_000;

    DataUnion public immutable union;
    DataToken public immutable token;
    Credentials public immutable credentials;
    Catalogue public immutable catalogue;
    Policies public immutable policies;
    Agreements public immutable agreements;
    address public immutable unionAdmin;
    address public immutable tokenAdmin;
    address public immutable issuer;
    uint256 private immutable issuerPk;

    address[] public members;
    uint256[] internal memberPks;
    address[] public consumers;

    // model of the union
    mapping(address => bool) public modelActive;
    mapping(address => uint256) public modelWeight;
    uint256 public modelTotalWeight;
    uint256 public modelCount;
    uint256 public modelFee;
    uint256 public modelPendingFee;
    uint256 public modelFeeDueAt; // 0 = nothing scheduled

    // ghosts
    uint256 public ghostRevenue;
    uint256 public ghostUnsettled;
    mapping(address => uint256) public ghostExpected;
    mapping(address => uint256) public ghostWithdrawn;
    uint256 public ghostWithdrawnTotal;
    uint256 public ghostFees;
    uint256 public ghostFeesWithdrawn;
    uint256 public ghostDust;
    uint256 public ghostViolations;
    string public lastViolation;

    uint256 private _nonce = 2_000_000;
    mapping(string action => uint256) public successes;

    constructor(
        DataUnion union_,
        DataToken token_,
        Credentials credentials_,
        Agreements agreements_,
        address tokenAdmin_,
        uint256 issuerPk_
    ) {
        union = union_;
        token = token_;
        credentials = credentials_;
        catalogue = union_.catalogue();
        policies = union_.policies();
        agreements = agreements_;
        unionAdmin = union_.admin();
        tokenAdmin = tokenAdmin_;
        issuerPk = issuerPk_;
        issuer = vm.addr(issuerPk_);
        modelFee = union_.feeBps();
    }

    // --- setup (called by the invariant test's setUp, not targeted) ---

    function addMember(address who, uint256 pk) external {
        require(vm.addr(pk) == who, "key");
        members.push(who);
        memberPks.push(pk);
    }

    function addConsumer(address who) external {
        consumers.push(who);
    }

    function memberCount() external view returns (uint256) {
        return members.length;
    }

    /// @dev Settles the union and the model together (used by the invariants, so that the model
    /// stays in step whether or not the invariant call's state is kept).
    function settleNow() external {
        union.settle();
        _modelSettle();
    }

    // --- actions: membership ---

    /// @dev Odd seeds: the first account from the seed on that is neither Active nor Pending
    /// (so that parted and removed members come back often); even seeds: any account.
    function join(uint256 memberSeed) public {
        address m = _member(memberSeed);
        for (uint256 j; memberSeed % 2 == 1 && j < members.length; ++j) {
            address c = _member(memberSeed + j);
            MemberStatus st = union.memberOf(c).status;
            if (st != MemberStatus.Active && st != MemberStatus.Pending) {
                m = c;
                break;
            }
        }
        MemberStatus before = union.memberOf(m).status;
        vm.prank(m);
        try union.join() {
            MemberStatus status = union.memberOf(m).status;
            if (status == MemberStatus.Active) {
                _modelAdmit(m);
                successes["join"]++;
            } else if (status == MemberStatus.Pending) {
                // only an account the admin removed (not for an invalid credential) must wait
                DataUnion.Member memory mm = union.memberOf(m);
                if (!(mm.removed && mm.removalReason != RemovalReason.CredentialInvalid)) {
                    _violation("join pending without approval policy or admin removal");
                }
                successes["joinPending"]++;
            } else {
                _violation("join left an unexpected status");
            }
        } catch {
            if (before != MemberStatus.Active && before != MemberStatus.Pending && union.joinVerdict(m) == _eligible()) {
                _violation("eligible join reverted");
            }
        }
    }

    /// @dev Admin approves a pending join (a member it had removed asks again), or rejects it.
    function approveJoin(uint256 memberSeed, bool reject) public {
        address m = _member(memberSeed);
        // prefer a pending member (the first from the seed on), if any
        for (uint256 j; j < members.length; ++j) {
            address c = _member(memberSeed + j);
            if (union.memberOf(c).status == MemberStatus.Pending) {
                m = c;
                break;
            }
        }
        vm.prank(unionAdmin);
        if (reject) {
            try union.rejectJoin(m) {
                successes["rejectJoin"]++;
            } catch {}
            return;
        }
        try union.approveJoin(m) {
            _modelAdmit(m);
            successes["approveJoin"]++;
        } catch {}
    }

    function part(uint256 memberSeed) public {
        address m = _member(memberSeed);
        vm.prank(m);
        try union.part() {
            _modelLeave(m);
            successes["part"]++;
        } catch {
            if (modelActive[m]) _violation("active member could not part");
        }
    }

    function removeMember(uint256 memberSeed, uint8 reasonSeed) public {
        address m = _member(memberSeed);
        RemovalReason reason = RemovalReason(bound(reasonSeed, 0, 4));
        vm.prank(unionAdmin);
        try union.removeMember(m, reason) {
            _modelLeave(m);
            successes["removeMember"]++;
        } catch {
            if (modelActive[m]) _violation("admin could not remove an active member");
        }
    }

    /// @dev The issuer revokes a member's credential; anyone then removes it as ineligible.
    function revokeAndRemove(uint256 memberSeed, bool removeNow) public {
        address m = _member(memberSeed);
        vm.prank(issuer);
        try credentials.revoke(m) {
            successes["revoke"]++;
        } catch {}
        if (!removeNow) return;
        removeIneligible(memberSeed);
    }

    function removeIneligible(uint256 memberSeed) public {
        address m = _member(memberSeed);
        try union.removeIneligible(m) {
            _modelLeave(m);
            successes["removeIneligible"]++;
        } catch {}
    }

    /// @dev The issuer re-admits a revoked member (if needed), who registers a fresh credential.
    function reregister(uint256 memberSeed, uint8 countrySeed) public {
        address subject = _member(memberSeed);
        // mostly a joinable country (DE, IT, ES, PT), sometimes one the join policy refuses (FR)
        Country[5] memory countries = [Country.DE, Country.IT, Country.ES, Country.PT, Country.FR];
        Country country = countries[countrySeed % 5];
        uint256 nowTs = vm.getBlockTimestamp();
        Credentials.Attestation memory att = Credentials.Attestation({
            subject: subject,
            issuer: issuer,
            category: Category.Individual,
            organisationType: OrganisationType.None,
            country: country,
            credentialHash: keccak256(abi.encode("union-vc", subject, _nonce)),
            encryptionKey: keccak256(abi.encode("x25519", subject)),
            issuedAt: uint64(nowTs),
            expiresAt: uint64(nowTs + 365 days),
            nonce: _nonce++,
            chainId: block.chainid
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(issuerPk, credentials.hashAttestation(att));
        if (credentials.credentialOf(subject).revoked && !credentials.readmitted(subject)) {
            vm.prank(issuer);
            try credentials.readmit(subject) {} catch {}
        }
        vm.prank(subject);
        try credentials.register(att, abi.encodePacked(r, s, v)) {
            successes["reregister"]++;
        } catch {}
    }

    function setWeight(uint256 memberSeed, uint32 weight) public {
        address m = _member(memberSeed);
        weight = uint32(bound(weight, 1, union.MAX_WEIGHT()));
        vm.prank(unionAdmin);
        try union.setWeight(m, weight) {
            if (!modelActive[m]) _violation("weight set on an inactive member");
            _modelSettle();
            modelTotalWeight = modelTotalWeight - modelWeight[m] + weight;
            modelWeight[m] = weight;
            successes["setWeight"]++;
        } catch {
            if (modelActive[m]) _violation("setWeight reverted for an active member");
        }
    }

    function toggleListed() public {
        bool listed = union.listed();
        vm.prank(unionAdmin);
        union.setListed(!listed);
        successes["toggleListed"]++;
    }

    // --- actions: revenue ---

    /// @dev A consumer buys the union product (or renews an agreement it still has).
    function buy(uint256 consumerSeed, uint16 periodsSeed) public {
        address consumer = consumers[consumerSeed % consumers.length];
        uint256 pid = union.productId();
        Catalogue.Terms memory t = catalogue.termsOf(pid);
        if (!t.active) {
            // not on sale: the request must fail
            (uint32 v0, PricingUnit u0) = _pins(pid);
            vm.prank(consumer);
            try agreements.requestAccess(pid, Purpose.Research, v0, u0, 1, type(uint256).max) {
                _violation("bought an inactive union product");
            } catch {}
            return;
        }
        uint16 periods = uint16(bound(periodsSeed, 1, 30));
        uint256 price = uint256(t.price) * periods;
        if (token.balanceOf(consumer) < price) _mintTo(consumer, 100 * price + 1e18);
        (uint32 version, PricingUnit unit) = _pins(pid);
        uint256 before = token.balanceOf(address(union));
        vm.prank(consumer);
        try agreements.requestAccess(pid, Purpose.Research, version, unit, periods, type(uint256).max) {
            successes["buy"]++;
        } catch {
            (uint256 id, bool active) = agreements.accessOf(pid, consumer);
            if (!active) return;
            vm.prank(consumer);
            try agreements.renew(id, version, unit, periods, type(uint256).max) {
                successes["renew"]++;
            } catch {
                return;
            }
        }
        uint256 received = token.balanceOf(address(union)) - before;
        if (received != price) _violation("union not paid price x periods");
        _modelRevenue(received);
    }

    /// @dev Revenue not from a purchase: tokens minted straight to the union.
    function donate(uint256 amount) public {
        amount = bound(amount, 1, 1e24);
        _mintTo(address(union), amount);
        _modelRevenue(amount);
        successes["donate"]++;
    }

    function settle() public {
        union.settle();
        _modelSettle();
        successes["settle"]++;
    }

    // --- actions: withdrawals ---

    /// @dev A member (current or former) withdraws part or all of its earnings, to itself or to
    /// another address, directly or with a signature (`mode`).
    function withdraw(uint256 memberSeed, uint256 amount, uint8 mode) public {
        uint256 i = memberSeed % members.length;
        address m = members[i];
        uint256 available = union.withdrawable(m);
        if (available == 0) {
            vm.prank(m);
            try union.withdraw(type(uint256).max) {
                _violation("withdrew nothing");
            } catch {}
            return;
        }
        bool all = amount % 4 == 0;
        amount = all ? type(uint256).max : bound(amount, 1, available);
        address to = mode % 3 == 0 ? address(0xBEEF) : m;
        uint256 paid;
        if (mode % 3 == 2) {
            uint256 deadline = vm.getBlockTimestamp() + 1 days;
            bytes32 structHash = keccak256(
                abi.encode(
                    keccak256("Withdraw(address member,address to,uint256 amount,uint256 nonce,uint256 deadline)"),
                    m,
                    to,
                    amount,
                    union.nonces(m),
                    deadline
                )
            );
            bytes32 digest = keccak256(abi.encodePacked("\x19\x01", union.domainSeparator(), structHash));
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(memberPks[i], digest);
            try union.withdrawWithSignature(m, to, amount, deadline, abi.encodePacked(r, s, v)) returns (uint256 p) {
                paid = p;
                successes["withdrawWithSignature"]++;
            } catch {
                _violation("signed withdrawal within withdrawable reverted");
                return;
            }
        } else {
            uint256 toBefore = token.balanceOf(to);
            vm.prank(m);
            try union.withdrawTo(to, amount) returns (uint256 p) {
                paid = p;
                if (token.balanceOf(to) - toBefore != p) _violation("recipient not paid the amount");
                successes["withdraw"]++;
            } catch {
                _violation("withdrawal within withdrawable reverted");
                return;
            }
        }
        if (paid != (all ? available : amount)) _violation("withdrawn amount");
        _modelSettle();
        ghostWithdrawn[m] += paid;
        ghostWithdrawnTotal += paid;
        // more than earned must fail
        uint256 tooMuch = union.withdrawable(m) + 1;
        vm.prank(m);
        try union.withdraw(tooMuch) {
            _violation("withdrew more than withdrawable");
        } catch {}
    }

    function withdrawFees(uint256 amount, bool all) public {
        union.settle(); // so that feesWithdrawable covers every revenue received
        _modelSettle();
        uint256 available = union.feesWithdrawable();
        if (available == 0) return;
        amount = all ? type(uint256).max : bound(amount, 1, available);
        vm.prank(unionAdmin);
        try union.withdrawFees(unionAdmin, amount) returns (uint256 paid) {
            if (paid != (all ? available : amount)) _violation("fees withdrawn amount");
            ghostFeesWithdrawn += paid;
            successes["withdrawFees"]++;
        } catch {
            _violation("fee withdrawal within available reverted");
        }
    }

    function sweepDust() public {
        vm.prank(unionAdmin);
        try union.sweepDust() {
            _modelSettle();
            ghostFees += ghostDust;
            ghostDust = 0;
            successes["sweepDust"]++;
        } catch {
            _violation("sweepDust reverted");
        }
    }

    // --- actions: fee changes ---

    function scheduleFeeChange(uint16 newFee) public {
        // mostly valid, sometimes above the maximum (must revert)
        uint256 maxFee = union.MAX_FEE_BPS();
        newFee = uint16(bound(newFee, 0, maxFee + maxFee / 8));
        vm.prank(unionAdmin);
        try union.scheduleFeeChange(newFee) {
            if (newFee > maxFee) _violation("fee above maximum scheduled");
            modelPendingFee = newFee;
            modelFeeDueAt = vm.getBlockTimestamp() + union.FEE_NOTICE();
            successes["scheduleFeeChange"]++;
        } catch {
            if (newFee <= maxFee) _violation("valid fee change refused");
        }
    }

    function cancelFeeChange() public {
        vm.prank(unionAdmin);
        try union.cancelFeeChange() {
            modelPendingFee = 0;
            modelFeeDueAt = 0;
            successes["cancelFeeChange"]++;
        } catch {}
    }

    /// @dev With `waitFirst`, waits until a scheduled change is due (FEE_NOTICE is longer than
    /// one `warp`); otherwise applies now, which fails before the notice has passed.
    function applyFeeChange(bool waitFirst) public {
        if (waitFirst && modelFeeDueAt > vm.getBlockTimestamp()) vm.warp(modelFeeDueAt);
        bool due = modelFeeDueAt != 0 && vm.getBlockTimestamp() >= modelFeeDueAt;
        try union.applyFeeChange() {
            if (!due) _violation("fee change applied before its notice");
            _modelSettle(); // at the old fee
            modelFee = modelPendingFee;
            modelPendingFee = 0;
            modelFeeDueAt = 0;
            successes["applyFeeChange"]++;
        } catch {
            if (due) _violation("due fee change refused");
        }
    }

    function warp(uint256 secs) public {
        vm.warp(vm.getBlockTimestamp() + bound(secs, 1, 4 days));
    }

    // --- model ---

    function _modelRevenue(uint256 amount) private {
        ghostRevenue += amount;
        ghostUnsettled += amount;
    }

    /// @dev Splits the revenue received since the last settlement among the model's members.
    function _modelSettle() private {
        uint256 amount = ghostUnsettled;
        if (amount == 0) return;
        ghostUnsettled = 0;
        uint256 fee = amount * modelFee / BPS;
        uint256 share = amount - fee;
        ghostFees += fee;
        if (modelTotalWeight == 0) {
            ghostDust += share;
            return;
        }
        uint256 perWeight = share / modelTotalWeight;
        uint256 given;
        for (uint256 i; i < members.length; ++i) {
            address m = members[i];
            if (!modelActive[m]) continue;
            uint256 part_ = perWeight * modelWeight[m];
            ghostExpected[m] += part_;
            given += part_;
        }
        ghostDust += share - given;
    }

    function _modelAdmit(address m) private {
        if (modelActive[m]) _violation("admitted twice");
        _modelSettle();
        modelActive[m] = true;
        modelWeight[m] = 1;
        modelTotalWeight += 1;
        modelCount += 1;
    }

    function _modelLeave(address m) private {
        if (!modelActive[m]) _violation("an inactive member left");
        _modelSettle();
        modelActive[m] = false;
        modelTotalWeight -= modelWeight[m];
        modelWeight[m] = 0;
        modelCount -= 1;
    }

    // --- helpers ---

    function _violation(string memory what) private {
        ghostViolations++;
        lastViolation = what;
    }

    function _mintTo(address to, uint256 amount) private {
        vm.prank(tokenAdmin);
        token.mint(to, amount);
        if (to != address(union)) {
            vm.prank(to);
            token.approve(address(agreements), type(uint256).max);
        }
    }

    function _pins(uint256 pid) private view returns (uint32 version, PricingUnit unit) {
        version = policies.policyOf(pid).version;
        unit = catalogue.termsOf(pid).pricingUnit;
    }

    function _member(uint256 seed) private view returns (address) {
        return members[seed % members.length];
    }

    function _eligible() private pure returns (Verdict) {
        return Verdict.Eligible;
    }
}
