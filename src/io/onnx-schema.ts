/**
 * The part of onnx.proto (package `onnx`, proto2) that mobilenet-ts reads and writes, as a protobufjs
 * JSON descriptor. Field names and numbers follow onnx.proto exactly (checked against the copy that
 * Debian's python3-onnx 1.12 ships); fields we never use are left out, so protobufjs skips them on
 * decode. A few fields are here only so that the reader can refuse what it does not handle:
 * `ModelProto.functions`, `GraphProto.sparse_initializer`, `TensorProto.segment`, `external_data`,
 * `data_location`, `string_data`, `uint64_data`, and `TypeProto`'s non-tensor cases; the messages we
 * never look inside are declared as the empty `Opaque` message, enough to see that one is there.
 *
 * Packing: in proto2 a repeated scalar is unpacked unless it says `[packed = true]`; onnx.proto packs
 * only TensorProto's *_data fields. Every repeated scalar below states its packing explicitly.
 */
import type { INamespace, IType } from 'protobufjs';

const proto2 = (fields: IType['fields'], nested?: INamespace['nested']): IType => ({
  edition: 'proto2',
  fields,
  ...(nested ? { nested } : {}),
});

const packed = { packed: true };
const unpacked = { packed: false };

export const ONNX_SCHEMA: INamespace = {
  nested: {
    onnx: {
      nested: {
        ModelProto: proto2({
          ir_version: { type: 'int64', id: 1 },
          opset_import: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          producer_name: { type: 'string', id: 2 },
          producer_version: { type: 'string', id: 3 },
          domain: { type: 'string', id: 4 },
          model_version: { type: 'int64', id: 5 },
          doc_string: { type: 'string', id: 6 },
          graph: { type: 'GraphProto', id: 7 },
          metadata_props: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          functions: { rule: 'repeated', type: 'Opaque', id: 25 }, // FunctionProto
        }),
        Opaque: proto2({}),
        OperatorSetIdProto: proto2({
          domain: { type: 'string', id: 1 },
          version: { type: 'int64', id: 2 },
        }),
        StringStringEntryProto: proto2({
          key: { type: 'string', id: 1 },
          value: { type: 'string', id: 2 },
        }),
        GraphProto: proto2({
          node: { rule: 'repeated', type: 'NodeProto', id: 1 },
          name: { type: 'string', id: 2 },
          initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
          sparse_initializer: { rule: 'repeated', type: 'Opaque', id: 15 }, // SparseTensorProto
          doc_string: { type: 'string', id: 10 },
          input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
          output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          value_info: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
        }),
        NodeProto: proto2({
          input: { rule: 'repeated', type: 'string', id: 1 },
          output: { rule: 'repeated', type: 'string', id: 2 },
          name: { type: 'string', id: 3 },
          op_type: { type: 'string', id: 4 },
          domain: { type: 'string', id: 7 },
          attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          doc_string: { type: 'string', id: 6 },
        }),
        AttributeProto: proto2({
          name: { type: 'string', id: 1 },
          ref_attr_name: { type: 'string', id: 21 },
          doc_string: { type: 'string', id: 13 },
          // AttributeType: UNDEFINED 0, FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7,
          // STRINGS 8, TENSORS 9, GRAPHS 10, SPARSE_TENSOR 11, SPARSE_TENSORS 12, TYPE_PROTO 13, TYPE_PROTOS 14.
          // Kept as int32 (same wire encoding as the enum) so unknown values pass through to our checks.
          type: { type: 'int32', id: 20 },
          f: { type: 'float', id: 2 },
          i: { type: 'int64', id: 3 },
          s: { type: 'bytes', id: 4 },
          t: { type: 'TensorProto', id: 5 },
          floats: { rule: 'repeated', type: 'float', id: 7, options: unpacked },
          ints: { rule: 'repeated', type: 'int64', id: 8, options: unpacked },
          strings: { rule: 'repeated', type: 'bytes', id: 9 },
        }),
        TensorProto: proto2(
          {
            dims: { rule: 'repeated', type: 'int64', id: 1, options: unpacked },
            data_type: { type: 'int32', id: 2 },
            segment: { type: 'Segment', id: 3 },
            float_data: { rule: 'repeated', type: 'float', id: 4, options: packed },
            int32_data: { rule: 'repeated', type: 'int32', id: 5, options: packed },
            string_data: { rule: 'repeated', type: 'bytes', id: 6 },
            int64_data: { rule: 'repeated', type: 'int64', id: 7, options: packed },
            name: { type: 'string', id: 8 },
            doc_string: { type: 'string', id: 12 },
            raw_data: { type: 'bytes', id: 9 },
            external_data: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            // DataLocation: DEFAULT 0, EXTERNAL 1.
            data_location: { type: 'int32', id: 14 },
            double_data: { rule: 'repeated', type: 'double', id: 10, options: packed },
            uint64_data: { rule: 'repeated', type: 'uint64', id: 11, options: packed },
          },
          {
            Segment: proto2({
              begin: { type: 'int64', id: 1 },
              end: { type: 'int64', id: 2 },
            }),
          },
        ),
        ValueInfoProto: proto2({
          name: { type: 'string', id: 1 },
          type: { type: 'TypeProto', id: 2 },
          doc_string: { type: 'string', id: 3 },
        }),
        TensorShapeProto: proto2(
          {
            dim: { rule: 'repeated', type: 'Dimension', id: 1 },
          },
          {
            Dimension: {
              edition: 'proto2',
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              fields: {
                dim_value: { type: 'int64', id: 1 },
                dim_param: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        ),
        TypeProto: {
          edition: 'proto2',
          oneofs: {
            value: { oneof: ['tensor_type', 'sequence_type', 'map_type', 'optional_type', 'sparse_tensor_type'] },
          },
          fields: {
            tensor_type: { type: 'Tensor', id: 1 },
            sequence_type: { type: 'Opaque', id: 4 },
            map_type: { type: 'Opaque', id: 5 },
            optional_type: { type: 'Opaque', id: 9 },
            sparse_tensor_type: { type: 'Opaque', id: 8 },
            denotation: { type: 'string', id: 6 },
          },
          nested: {
            Tensor: proto2({
              elem_type: { type: 'int32', id: 1 },
              shape: { type: 'TensorShapeProto', id: 2 },
            }),
          },
        },
      },
    },
  },
};
