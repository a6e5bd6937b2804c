// A visitor made of lambdas, for std::visit over the message variants: std::visit(Overloaded{...}, v).
#pragma once

namespace sterifleet {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Clang 14 cannot deduce an aggregate's template arguments without a guide.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace sterifleet
