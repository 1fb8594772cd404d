// Placeholder: owned by the seller-pages work (D2). Routed from App.tsx.
export default function CreateProduct() {
  return <h1>Create product</h1>;
}
