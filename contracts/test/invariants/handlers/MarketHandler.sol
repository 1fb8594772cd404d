// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../../utils/Test.sol";
import {DataToken} from "../../../src/DataToken.sol";
import {Credentials} from "../../../src/Credentials.sol";
import {Catalogue} from "../../../src/Catalogue.sol";
import {Policies} from "../../../src/Policies.sol";
import {Agreements} from "../../../src/Agreements.sol";
import {
    AgreementStatus,
    Category,
    Country,
    OrganisationType,
    Periods,
    PricingUnit,
    ProductType,
    Purpose
} from "../../../src/MarketTypes.sol";

/// @dev Drives the marketplace with random but mostly valid calls from a fixed cast of actors,
/// keeping ghost state the invariants compare against:
/// - ghostMinted: every token ever minted (DataToken has no burn);
/// - ghostEscrow: Σ amount of agreements this handler saw enter Pending and not yet leave it;
/// - factsOf[id]: the consumer's credential facts and purpose when agreement `id` was created or
///   last renewed, i.e. what its pinned policy version was checked against.
/// - ghostEndsAt[id]: when agreement `id` should end by the periods paid for it, computed here
///   from the handler's own inputs and the unit in force at each call (0 = not started or one-time);
/// - ghostPaid[id]: Σ price × periods paid for agreement `id` (escrowed or direct), less refunds;
/// - ghostUnit[id]: the pricing unit the consumer pinned in their last request or renewal.
/// Requests and renewals pin the current unit and policy version half of the time and a random
/// (possibly stale) one otherwise, as a front-run seller change would make them.
/// Every action swallows reverts (try/catch) so a rejected call leaves the ghosts untouched.
contract MarketHandler is Test {
    struct Facts {
        bool recorded;
        Category category;
        OrganisationType organisationType;
        Country country;
        Purpose purpose;
    }

    DataToken public immutable token;
    Credentials public immutable credentials;
    Catalogue public immutable catalogue;
    Policies public immutable policies;
    Agreements public immutable agreements;
    address public immutable admin;
    address public immutable issuer;
    uint256 private immutable issuerPk;

    address[] public consumers;
    address[] public sellers;
    uint256[] public products;

    uint256 public ghostMinted;
    uint256 public ghostEscrow;
    mapping(uint256 agreementId => Facts) internal _facts;
    mapping(uint256 agreementId => uint256) public ghostEndsAt;
    mapping(uint256 agreementId => uint256) public ghostPaid;
    mapping(uint256 agreementId => PricingUnit) public ghostUnit;
    mapping(uint256 agreementId => uint256) internal _pendingSeconds;
    uint256 private _nonce = 1_000_000;

    mapping(string action => uint256) public successes;

    constructor(
        DataToken token_,
        Credentials credentials_,
        Catalogue catalogue_,
        Policies policies_,
        Agreements agreements_,
        address admin_,
        uint256 issuerPk_
    ) {
        token = token_;
        credentials = credentials_;
        catalogue = catalogue_;
        policies = policies_;
        agreements = agreements_;
        admin = admin_;
        issuerPk = issuerPk_;
        issuer = vm.addr(issuerPk_);
    }

    // --- setup (called by the invariant test's setUp, not targeted) ---

    function addConsumer(address who) external {
        consumers.push(who);
    }

    function addSeller(address who) external {
        sellers.push(who);
    }

    function addProduct(uint256 productId) external {
        products.push(productId);
    }

    function consumerCount() external view returns (uint256) {
        return consumers.length;
    }

    function sellerCount() external view returns (uint256) {
        return sellers.length;
    }

    function factsOf(uint256 agreementId) external view returns (Facts memory) {
        return _facts[agreementId];
    }

    // --- actions ---

    /// @dev (Re-)registers a consumer with random facts. Countries are drawn from the first ten
    /// so policies often match.
    function register(uint256 actorSeed, bool organisation, uint8 orgSeed, uint8 countrySeed) public {
        address subject = _consumer(actorSeed);
        uint256 nowTs = vm.getBlockTimestamp();
        Credentials.Attestation memory att = Credentials.Attestation({
            subject: subject,
            issuer: issuer,
            category: organisation ? Category.Organisation : Category.Individual,
            organisationType: organisation ? OrganisationType(bound(orgSeed, 1, 8)) : OrganisationType.None,
            country: Country(bound(countrySeed, 1, 10)),
            credentialHash: keccak256(abi.encode(subject, _nonce)),
            encryptionKey: keccak256(abi.encode("key", subject)),
            issuedAt: uint64(nowTs),
            expiresAt: uint64(nowTs + 365 days),
            nonce: _nonce++,
            chainId: block.chainid
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(issuerPk, credentials.hashAttestation(att));
        if (credentials.credentialOf(subject).revoked && !credentials.readmitted(subject)) {
            // a revoked subject registers again only once its issuer re-admits it
            vm.prank(issuer);
            credentials.readmit(subject);
            successes["readmit"]++;
        }
        vm.prank(subject);
        credentials.register(att, abi.encodePacked(r, s, v));
        successes["register"]++;
    }

    function revoke(uint256 actorSeed) public {
        address subject = _consumer(actorSeed);
        vm.prank(issuer);
        try credentials.revoke(subject) {
            successes["revoke"]++;
        } catch {}
    }

    function mint(uint256 actorSeed, uint256 amount) public {
        address to = _consumer(actorSeed);
        amount = bound(amount, 0, 1_000e18);
        vm.prank(admin);
        token.mint(to, amount);
        ghostMinted += amount;
        vm.prank(to);
        token.approve(address(agreements), type(uint256).max);
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) public {
        address from = fromSeed % 2 == 0 ? _consumer(fromSeed / 2) : _seller(fromSeed / 2);
        address to = _consumer(toSeed);
        amount = bound(amount, 0, token.balanceOf(from));
        vm.prank(from);
        token.transfer(to, amount);
    }

    function request(uint256 actorSeed, uint256 productSeed, uint8 purposeSeed, uint16 periodsSeed, uint16 pinSeed)
        public
    {
        address consumer = _consumer(actorSeed);
        uint256 productId = _product(productSeed);
        Purpose purpose = Purpose(bound(purposeSeed, 0, 10));
        bool oneTime = catalogue.termsOf(productId).pricingUnit == PricingUnit.OneTime;
        uint16 periods = oneTime ? 1 : uint16(bound(periodsSeed, 1, 30));
        (uint32 version, PricingUnit unit) = _pinsFor(productId, pinSeed);
        uint256 term = uint256(periods) * Periods.unitSeconds(unit);
        Catalogue.Terms memory t = catalogue.termsOf(productId);
        vm.prank(consumer);
        try agreements.requestAccess(productId, purpose, version, unit, periods, type(uint256).max) returns (uint256 id) {
            ghostUnit[id] = unit;
            Agreements.Agreement memory a = agreements.getAgreement(id);
            if (a.status == AgreementStatus.Pending) {
                ghostEscrow += a.amount;
                _pendingSeconds[id] = term;
            } else if (term != 0) {
                ghostEndsAt[id] = vm.getBlockTimestamp() + term;
            }
            ghostPaid[id] = uint256(t.price) * periods;
            _record(id, consumer, purpose);
            successes["request"]++;
        } catch {}
    }

    function approve(uint256 agreementSeed) public {
        (uint256 id, Agreements.Agreement memory a) = _agreement(agreementSeed);
        if (id == 0) return;
        vm.prank(catalogue.sellerOf(a.productId));
        try agreements.approve(id) {
            ghostEscrow -= a.amount;
            if (_pendingSeconds[id] != 0) ghostEndsAt[id] = vm.getBlockTimestamp() + _pendingSeconds[id];
            successes["approve"]++;
        } catch {}
    }

    function reject(uint256 agreementSeed) public {
        (uint256 id, Agreements.Agreement memory a) = _agreement(agreementSeed);
        if (id == 0) return;
        vm.prank(catalogue.sellerOf(a.productId));
        try agreements.reject(id) {
            ghostEscrow -= a.amount;
            successes["reject"]++;
        } catch {}
    }

    function cancel(uint256 agreementSeed) public {
        (uint256 id, Agreements.Agreement memory a) = _agreement(agreementSeed);
        if (id == 0) return;
        vm.prank(a.consumer);
        try agreements.cancel(id) {
            ghostEscrow -= a.amount;
            successes["cancel"]++;
        } catch {}
    }

    function renew(uint256 agreementSeed, uint16 periodsSeed, uint16 pinSeed) public {
        (uint256 id, Agreements.Agreement memory a) = _agreement(agreementSeed);
        if (id == 0) return;
        uint16 periods = uint16(bound(periodsSeed, 1, 30));
        (uint32 version, PricingUnit unit) = _pinsFor(a.productId, pinSeed);
        Catalogue.Terms memory t = catalogue.termsOf(a.productId);
        vm.prank(a.consumer);
        try agreements.renew(id, version, unit, periods, type(uint256).max) {
            ghostUnit[id] = unit;
            _record(id, a.consumer, a.purpose); // re-checked against the current policy
            uint256 nowTs = vm.getBlockTimestamp();
            uint256 from = ghostEndsAt[id] > nowTs ? ghostEndsAt[id] : nowTs;
            ghostEndsAt[id] = from + uint256(periods) * Periods.unitSeconds(unit);
            ghostPaid[id] += uint256(t.price) * periods;
            successes["renew"]++;
        } catch {}
    }

    function terminate(uint256 agreementSeed) public {
        (uint256 id, Agreements.Agreement memory a) = _agreement(agreementSeed);
        if (id == 0) return;
        address seller = catalogue.sellerOf(a.productId);
        vm.prank(seller);
        token.approve(address(agreements), type(uint256).max);
        uint256 before = token.balanceOf(a.consumer);
        vm.prank(seller);
        try agreements.terminate(id) {
            uint256 refund = token.balanceOf(a.consumer) - before;
            assertTrue(refund <= a.amount, "refund within what was paid");
            ghostPaid[id] -= refund;
            successes["terminate"]++;
        } catch {}
    }

    function setPolicy(
        uint256 productSeed,
        uint16 purposes,
        uint8 categories,
        uint16 orgTypes,
        uint64 jurisdictions,
        bool requiresApproval
    ) public {
        uint256 productId = _product(productSeed);
        purposes = uint16(bound(purposes, 1, 0x7FF));
        categories = uint8(bound(categories, 1, 3));
        orgTypes = categories & 2 != 0 ? uint16(bound(orgTypes, 1, 0xFF) << 1) : 0;
        jurisdictions = uint64(bound(jurisdictions, 1, 0x3FF) << 1); // the first ten countries
        vm.prank(catalogue.sellerOf(productId));
        policies.setPolicy(productId, purposes, categories, orgTypes, jurisdictions, requiresApproval, 0);
        successes["setPolicy"]++;
    }

    function retract(uint256 productSeed, uint256 actorSeed) public {
        uint256 productId = _product(productSeed);
        address consumer = _consumer(actorSeed);
        vm.prank(catalogue.sellerOf(productId));
        if (policies.isRetracted(productId, consumer)) {
            policies.restoreConsent(productId, consumer);
        } else {
            policies.retractConsent(productId, consumer);
        }
    }

    function setPrice(uint256 productSeed, uint96 price, uint8 unitSeed) public {
        uint256 productId = _product(productSeed);
        Catalogue.Terms memory t = catalogue.termsOf(productId);
        bool timeBased = t.productType == ProductType.Stream || t.productType == ProductType.DataUnion;
        PricingUnit unit = timeBased ? PricingUnit(bound(unitSeed, 1, 4)) : PricingUnit.OneTime;
        vm.prank(t.seller);
        catalogue.setPrice(productId, uint96(bound(price, 0, 50e18)), unit);
    }

    function toggleActive(uint256 productSeed) public {
        uint256 productId = _product(productSeed);
        vm.prank(catalogue.sellerOf(productId));
        if (catalogue.termsOf(productId).active) catalogue.deactivate(productId);
        else catalogue.reactivate(productId);
    }

    function warp(uint256 secs) public {
        vm.warp(vm.getBlockTimestamp() + bound(secs, 1, 5 days));
    }

    // --- helpers ---

    function _record(uint256 id, address consumer, Purpose purpose) private {
        (, Category category, OrganisationType org, Country country) = credentials.statusOf(consumer);
        _facts[id] = Facts({recorded: true, category: category, organisationType: org, country: country, purpose: purpose});
    }

    /// @dev The current policy version and unit, or (odd seeds) a random pair that may be stale.
    function _pinsFor(uint256 productId, uint16 seed) private view returns (uint32 version, PricingUnit unit) {
        version = policies.policyOf(productId).version;
        unit = catalogue.termsOf(productId).pricingUnit;
        if (seed % 2 == 1) {
            version = uint32(bound(seed >> 1, 1, version + 1));
            unit = PricingUnit(bound(seed >> 8, 0, 4));
        }
    }

    function _consumer(uint256 seed) private view returns (address) {
        return consumers[seed % consumers.length];
    }

    function _seller(uint256 seed) private view returns (address) {
        return sellers[seed % sellers.length];
    }

    function _product(uint256 seed) private view returns (uint256) {
        return products[seed % products.length];
    }

    function _agreement(uint256 seed) private view returns (uint256 id, Agreements.Agreement memory a) {
        uint256 count = agreements.agreementCount();
        if (count == 0) return (0, a);
        id = 1 + seed % count;
        a = agreements.getAgreement(id);
    }
}
