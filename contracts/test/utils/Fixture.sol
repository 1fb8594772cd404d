// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test} from "./Test.sol";
import {DataToken} from "../../src/DataToken.sol";
import {Credentials} from "../../src/Credentials.sol";
import {Catalogue} from "../../src/Catalogue.sol";
import {Policies} from "../../src/Policies.sol";
import {Agreements} from "../../src/Agreements.sol";
import {StreamRegistryMock} from "./StreamRegistryMock.sol";
import {
    Category, Country, Modality, OrganisationType, PricingUnit, ProductType, Purpose
} from "../../src/MarketTypes.sol";

/// @dev Deploys the whole marketplace and offers helpers to build the usual scenarios:
/// - `admin` holds DataToken's admin/minter roles and the Credentials consortium-admin role;
/// - `issuer` (key ISSUER_PK) is a trusted credential issuer that signs EIP-712 attestations;
/// - personas (each with a private key so it can sign EIP-2612 permits):
///     alice      individual, DE — a data subject who sells her wearable data
///     bob        individual, DE — a consumer (e.g. a fellow patient / citizen scientist)
///     hospital   organisation Hospital, NL
///     university organisation ResearchUniversity, FR
///     insurer    organisation Insurer, IT
///     pharma     organisation Pharma, CH
/// - relay1/relay2 are delivery agents (threshold 2 of 2) used by every published product.
/// Time starts at T0 (block.timestamp is 1 on a fresh EDR chain). Read the clock through `_now()`:
/// with viaIR the optimiser may reuse a `block.timestamp` read from before a `vm.warp`.
abstract contract Fixture is Test {
    uint256 internal constant T0 = 1_750_000_000;
    uint64 internal constant CREDENTIAL_LIFETIME = 365 days;

    uint256 internal constant ISSUER_PK = 0x155E4;
    uint256 internal constant ALICE_PK = 0xA11CE;
    uint256 internal constant BOB_PK = 0xB0B;
    uint256 internal constant HOSPITAL_PK = 0x40595;
    uint256 internal constant UNIVERSITY_PK = 0x0A1E;
    uint256 internal constant INSURER_PK = 0x1A5E;
    uint256 internal constant PHARMA_PK = 0xFA4A;

    DataToken internal token;
    Credentials internal credentials;
    Catalogue internal catalogue;
    Policies internal policies;
    Agreements internal agreements;
    StreamRegistryMock internal streamRegistry;

    address internal admin = address(0xAD);
    address internal issuer;
    address internal alice;
    address internal bob;
    address internal hospital;
    address internal university;
    address internal insurer;
    address internal pharma;
    address internal relay1 = address(0x5E1A1);
    address internal relay2 = address(0x5E1A2);
    address internal stranger = address(0x57A);

    uint256 internal nextNonce = 1;

    function setUp() public virtual {
        vm.warp(T0);
        issuer = vm.addr(ISSUER_PK);
        alice = vm.addr(ALICE_PK);
        bob = vm.addr(BOB_PK);
        hospital = vm.addr(HOSPITAL_PK);
        university = vm.addr(UNIVERSITY_PK);
        insurer = vm.addr(INSURER_PK);
        pharma = vm.addr(PHARMA_PK);

        token = new DataToken(admin);
        credentials = new Credentials(admin);
        streamRegistry = new StreamRegistryMock();
        catalogue = new Catalogue(streamRegistry);
        policies = new Policies(catalogue);
        agreements = new Agreements(IERC20(address(token)), catalogue, policies, credentials);
        streamRegistry.setTrusted(address(agreements), true);

        vm.prank(admin);
        credentials.trustIssuer(issuer);

        vm.label(admin, "admin");
        vm.label(issuer, "issuer");
        vm.label(alice, "alice");
        vm.label(bob, "bob");
        vm.label(hospital, "hospital");
        vm.label(university, "university");
        vm.label(insurer, "insurer");
        vm.label(pharma, "pharma");
        vm.label(address(token), "DataToken");
        vm.label(address(credentials), "Credentials");
        vm.label(address(catalogue), "Catalogue");
        vm.label(address(policies), "Policies");
        vm.label(address(agreements), "Agreements");
    }

    // --- clock ---

    /// @dev The policy version and pricing unit a consumer would see, as set through this
    /// fixture's helpers (`_request` pins them).
    struct Seen {
        uint32 version;
        PricingUnit unit;
    }

    mapping(uint256 productId => Seen) internal _seen;

    function _now() internal view returns (uint256) {
        return vm.getBlockTimestamp();
    }

    function _warpBy(uint256 secs) internal {
        vm.warp(_now() + secs);
    }

    // --- credentials ---

    /// @dev An attestation by `issuer` valid from now for CREDENTIAL_LIFETIME, with a fresh nonce.
    function _attestation(address subject, Category category, OrganisationType orgType, Country country)
        internal
        returns (Credentials.Attestation memory att)
    {
        uint256 nonce = nextNonce++;
        att = Credentials.Attestation({
            subject: subject,
            issuer: issuer,
            category: category,
            organisationType: orgType,
            country: country,
            credentialHash: keccak256(abi.encode("vc", subject, nonce)),
            encryptionKey: keccak256(abi.encode("x25519", subject)),
            issuedAt: uint64(_now()),
            expiresAt: uint64(_now() + CREDENTIAL_LIFETIME),
            nonce: nonce,
            chainId: block.chainid
        });
    }

    function _sign(Credentials.Attestation memory att, uint256 pk) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, credentials.hashAttestation(att));
        return abi.encodePacked(r, s, v);
    }

    function _submit(Credentials.Attestation memory att) internal {
        bytes memory sig = _sign(att, ISSUER_PK);
        vm.prank(att.subject);
        credentials.register(att, sig);
    }

    function _register(address subject, Category category, OrganisationType orgType, Country country) internal {
        _submit(_attestation(subject, category, orgType, country));
    }

    function _registerIndividual(address subject, Country country) internal {
        _register(subject, Category.Individual, OrganisationType.None, country);
    }

    function _registerOrganisation(address subject, OrganisationType orgType, Country country) internal {
        _register(subject, Category.Organisation, orgType, country);
    }

    function _registerPersonas() internal {
        _registerIndividual(alice, Country.DE);
        _registerIndividual(bob, Country.DE);
        _registerOrganisation(hospital, OrganisationType.Hospital, Country.NL);
        _registerOrganisation(university, OrganisationType.ResearchUniversity, Country.FR);
        _registerOrganisation(insurer, OrganisationType.Insurer, Country.IT);
        _registerOrganisation(pharma, OrganisationType.Pharma, Country.CH);
    }

    // --- catalogue ---

    function _description(string memory title) internal pure returns (Catalogue.Description memory d) {
        string[] memory tags = new string[](2);
        tags[0] = "wearables";
        tags[1] = "heart-rate";
        d = Catalogue.Description({
            metadataURI: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
            title: title,
            summary: "Heart rate and sleep data from a consumer wearable",
            category: "health",
            tags: tags
        });
    }

    function _agents() internal view returns (address[] memory agents) {
        agents = new address[](2);
        agents[0] = relay1;
        agents[1] = relay2;
    }

    function _publish(address seller, ProductType productType, uint96 price, PricingUnit unit)
        internal
        returns (uint256 productId)
    {
        vm.prank(seller);
        productId = catalogue.publish(
            productType, Modality.Encrypted, price, unit, _agents(), 2, _description("Wearable heart rate"), _noStreams()
        );
        _seen[productId].unit = unit;
    }

    function _noStreams() internal pure returns (string[] memory) {
        return new string[](0);
    }

    function _publishStream(address seller, uint96 price, PricingUnit unit) internal returns (uint256) {
        return _publish(seller, ProductType.Stream, price, unit);
    }

    function _publishBatch(address seller, uint96 price) internal returns (uint256) {
        return _publish(seller, ProductType.Batch, price, PricingUnit.OneTime);
    }

    // --- policies ---

    function _bit(uint256 value) internal pure returns (uint256) {
        return uint256(1) << value;
    }

    function _setPolicy(
        uint256 productId,
        uint16 purposes,
        uint8 categories,
        uint16 orgTypes,
        uint64 jurisdictions,
        bool requiresApproval
    ) internal returns (uint32 version) {
        vm.prank(catalogue.sellerOf(productId));
        version = policies.setPolicy(productId, purposes, categories, orgTypes, jurisdictions, requiresApproval, 0);
        _seen[productId].version = version;
    }

    /// @dev Everyone, every purpose, everywhere.
    function _setOpenPolicy(uint256 productId, bool requiresApproval) internal returns (uint32) {
        return _setPolicy(
            productId,
            policies.ALL_PURPOSES(),
            policies.ALL_CATEGORIES(),
            policies.ALL_ORGANISATION_TYPES(),
            policies.ALL_JURISDICTIONS(),
            requiresApproval
        );
    }

    // --- tokens ---

    /// @dev Mints `amount` to `who` and approves Agreements for everything.
    function _fund(address who, uint256 amount) internal {
        vm.prank(admin);
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(agreements), type(uint256).max);
    }

    function _mint(address who, uint256 amount) internal {
        vm.prank(admin);
        token.mint(who, amount);
    }

    /// @dev The EIP-712 digest of a DataToken permit.
    function _permitDigest(address owner, address spender, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                owner,
                spender,
                value,
                nonce,
                deadline
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }

    /// @dev An EIP-2612 permit signature of `owner` (key `pk`) for Agreements.
    function _permit(uint256 pk, address spender, uint256 value, uint256 deadline)
        internal
        view
        returns (uint8 v, bytes32 r, bytes32 s)
    {
        address owner = vm.addr(pk);
        (v, r, s) = vm.sign(pk, _permitDigest(owner, spender, value, token.nonces(owner), deadline));
    }

    // --- agreements ---

    function _request(address consumer, uint256 productId, Purpose purpose, uint16 periods)
        internal
        returns (uint256 agreementId)
    {
        // From the fixture's own record, not the contracts: a `vm.expectRevert` before this helper
        // applies to the next call, which must be the request itself.
        Seen memory seen = _seen[productId];
        vm.prank(consumer);
        agreementId = agreements.requestAccess(productId, purpose, seen.version, seen.unit, periods, type(uint256).max);
    }

    /// @dev What a consumer sees before requesting: the current policy version and pricing unit.
    /// Read before `vm.prank`/`vm.expectRevert`, which would otherwise apply to these reads.
    function _pins(uint256 productId) internal view returns (uint32 version, PricingUnit unit) {
        version = policies.policyOf(productId).version;
        unit = productId <= catalogue.productCount() ? catalogue.termsOf(productId).pricingUnit : PricingUnit.OneTime;
    }

    /// @dev `_pins` of the agreement's product (zero values for an unknown agreement).
    function _renewPins(uint256 agreementId) internal view returns (uint32 version, PricingUnit unit) {
        if (agreementId == 0 || agreementId > agreements.agreementCount()) return (0, PricingUnit.OneTime);
        return _pins(agreements.getAgreement(agreementId).productId);
    }
}
