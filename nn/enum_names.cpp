// The names of nn/spec.h's enums, as configs spell them (docs/config.md lists them from here).
#include "core/error.h"
#include "nn/spec.h"

namespace bf {

template <>
const EnumNames<AttentionKind>& enum_names<AttentionKind>() {
  static const EnumNames<AttentionKind> names = {
      {"softmax", AttentionKind::softmax}, {"shaped", AttentionKind::shaped}, {"skipinit", AttentionKind::skipinit}};
  return names;
}
template <>
const EnumNames<MatrixKind>& enum_names<MatrixKind>() {
  static const EnumNames<MatrixKind> names = {
      {"trained", MatrixKind::trained}, {"identity", MatrixKind::identity}, {"reparam", MatrixKind::reparam}};
  return names;
}
template <>
const EnumNames<MatrixInit>& enum_names<MatrixInit>() {
  static const EnumNames<MatrixInit> names = {{"normal", MatrixInit::normal}, {"orthogonal", MatrixInit::orthogonal}};
  return names;
}
template <>
const EnumNames<NormKind>& enum_names<NormKind>() {
  static const EnumNames<NormKind> names = {
      {"rmsnorm", NormKind::rmsnorm}, {"layernorm", NormKind::layernorm}, {"none", NormKind::none}};
  return names;
}
template <>
const EnumNames<Activation>& enum_names<Activation>() {
  static const EnumNames<Activation> names = {
      {"relu", Activation::relu}, {"gelu", Activation::gelu}, {"leaky_relu", Activation::leaky_relu}};
  return names;
}
template <>
const EnumNames<NormPosition>& enum_names<NormPosition>() {
  static const EnumNames<NormPosition> names = {
      {"pre", NormPosition::pre}, {"post", NormPosition::post}, {"post_textbook", NormPosition::post_textbook}};
  return names;
}

namespace {

template <class E>
std::string name_of(E value) {
  for (const auto& [name, v] : enum_names<E>())
    if (v == value) return name;
  fail("enum value ", static_cast<int>(value), " has no name");
}

}  // namespace

std::string to_string(AttentionKind k) { return name_of(k); }
std::string to_string(MatrixKind k) { return name_of(k); }
std::string to_string(MatrixInit k) { return name_of(k); }
std::string to_string(NormKind k) { return name_of(k); }
std::string to_string(Activation k) { return name_of(k); }
std::string to_string(NormPosition k) { return name_of(k); }

}  // namespace bf
