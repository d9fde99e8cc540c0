/* qr_emv.c -- EMVCo Merchant-Presented Mode payloads: TLV parsing with
 * character-counted lengths, strict and tolerant rule checks, encoder,
 * CRC-16/CCITT-FALSE, ISO 4217 table and payment-target extraction.
 *
 * The parser works in four passes over one borrowed payload, without
 * allocating and without clearing struct qr_emv (only nobj is reset):
 *   1. scan: TLV structure, UTF-8, positions (00 first, nothing after 63),
 *      duplicate IDs, templates split into sub-objects;
 *   2. the CRC object;
 *   3. each object's own rules, in payload order;
 *   4. rules between objects (mandatory objects, tip/fee combinations).
 * A payload that ends before its CRC object is complete is "truncated"
 * (-2) whatever its content; rule checks need the whole payload. The
 * encoder builds pass 1's table as it writes and runs passes 2-4 on it
 * (see "Encoder"). */

#include "qr/qr_emv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PRINTF(f, a) __attribute__((format(printf, f, a)))
/* Error and warning paths: the compiler moves them out of the way. */
#define COLD __attribute__((cold))
#define NOINLINE __attribute__((noinline))

/* ---- CRC-16/CCITT-FALSE ---- */

/* Slicing by 8: crc_tab[0][i] is the register after shifting byte i
 * through poly 0x1021; crc_tab[k][i] is crc_tab[k-1][i] followed by k
 * zero bytes. Eight independent lookups per 8 bytes instead of a chain of
 * eight: about 5 times faster than the byte loop, for 4 KiB of tables
 * (generated once, offline; the unit test checks them against a bitwise
 * CRC). */
static const uint16_t crc_tab[8][256] = {
	{
		0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50A5, 0x60C6, 0x70E7,
		0x8108, 0x9129, 0xA14A, 0xB16B, 0xC18C, 0xD1AD, 0xE1CE, 0xF1EF,
		0x1231, 0x0210, 0x3273, 0x2252, 0x52B5, 0x4294, 0x72F7, 0x62D6,
		0x9339, 0x8318, 0xB37B, 0xA35A, 0xD3BD, 0xC39C, 0xF3FF, 0xE3DE,
		0x2462, 0x3443, 0x0420, 0x1401, 0x64E6, 0x74C7, 0x44A4, 0x5485,
		0xA56A, 0xB54B, 0x8528, 0x9509, 0xE5EE, 0xF5CF, 0xC5AC, 0xD58D,
		0x3653, 0x2672, 0x1611, 0x0630, 0x76D7, 0x66F6, 0x5695, 0x46B4,
		0xB75B, 0xA77A, 0x9719, 0x8738, 0xF7DF, 0xE7FE, 0xD79D, 0xC7BC,
		0x48C4, 0x58E5, 0x6886, 0x78A7, 0x0840, 0x1861, 0x2802, 0x3823,
		0xC9CC, 0xD9ED, 0xE98E, 0xF9AF, 0x8948, 0x9969, 0xA90A, 0xB92B,
		0x5AF5, 0x4AD4, 0x7AB7, 0x6A96, 0x1A71, 0x0A50, 0x3A33, 0x2A12,
		0xDBFD, 0xCBDC, 0xFBBF, 0xEB9E, 0x9B79, 0x8B58, 0xBB3B, 0xAB1A,
		0x6CA6, 0x7C87, 0x4CE4, 0x5CC5, 0x2C22, 0x3C03, 0x0C60, 0x1C41,
		0xEDAE, 0xFD8F, 0xCDEC, 0xDDCD, 0xAD2A, 0xBD0B, 0x8D68, 0x9D49,
		0x7E97, 0x6EB6, 0x5ED5, 0x4EF4, 0x3E13, 0x2E32, 0x1E51, 0x0E70,
		0xFF9F, 0xEFBE, 0xDFDD, 0xCFFC, 0xBF1B, 0xAF3A, 0x9F59, 0x8F78,
		0x9188, 0x81A9, 0xB1CA, 0xA1EB, 0xD10C, 0xC12D, 0xF14E, 0xE16F,
		0x1080, 0x00A1, 0x30C2, 0x20E3, 0x5004, 0x4025, 0x7046, 0x6067,
		0x83B9, 0x9398, 0xA3FB, 0xB3DA, 0xC33D, 0xD31C, 0xE37F, 0xF35E,
		0x02B1, 0x1290, 0x22F3, 0x32D2, 0x4235, 0x5214, 0x6277, 0x7256,
		0xB5EA, 0xA5CB, 0x95A8, 0x8589, 0xF56E, 0xE54F, 0xD52C, 0xC50D,
		0x34E2, 0x24C3, 0x14A0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
		0xA7DB, 0xB7FA, 0x8799, 0x97B8, 0xE75F, 0xF77E, 0xC71D, 0xD73C,
		0x26D3, 0x36F2, 0x0691, 0x16B0, 0x6657, 0x7676, 0x4615, 0x5634,
		0xD94C, 0xC96D, 0xF90E, 0xE92F, 0x99C8, 0x89E9, 0xB98A, 0xA9AB,
		0x5844, 0x4865, 0x7806, 0x6827, 0x18C0, 0x08E1, 0x3882, 0x28A3,
		0xCB7D, 0xDB5C, 0xEB3F, 0xFB1E, 0x8BF9, 0x9BD8, 0xABBB, 0xBB9A,
		0x4A75, 0x5A54, 0x6A37, 0x7A16, 0x0AF1, 0x1AD0, 0x2AB3, 0x3A92,
		0xFD2E, 0xED0F, 0xDD6C, 0xCD4D, 0xBDAA, 0xAD8B, 0x9DE8, 0x8DC9,
		0x7C26, 0x6C07, 0x5C64, 0x4C45, 0x3CA2, 0x2C83, 0x1CE0, 0x0CC1,
		0xEF1F, 0xFF3E, 0xCF5D, 0xDF7C, 0xAF9B, 0xBFBA, 0x8FD9, 0x9FF8,
		0x6E17, 0x7E36, 0x4E55, 0x5E74, 0x2E93, 0x3EB2, 0x0ED1, 0x1EF0,
	},
	{
		0x0000, 0x3331, 0x6662, 0x5553, 0xCCC4, 0xFFF5, 0xAAA6, 0x9997,
		0x89A9, 0xBA98, 0xEFCB, 0xDCFA, 0x456D, 0x765C, 0x230F, 0x103E,
		0x0373, 0x3042, 0x6511, 0x5620, 0xCFB7, 0xFC86, 0xA9D5, 0x9AE4,
		0x8ADA, 0xB9EB, 0xECB8, 0xDF89, 0x461E, 0x752F, 0x207C, 0x134D,
		0x06E6, 0x35D7, 0x6084, 0x53B5, 0xCA22, 0xF913, 0xAC40, 0x9F71,
		0x8F4F, 0xBC7E, 0xE92D, 0xDA1C, 0x438B, 0x70BA, 0x25E9, 0x16D8,
		0x0595, 0x36A4, 0x63F7, 0x50C6, 0xC951, 0xFA60, 0xAF33, 0x9C02,
		0x8C3C, 0xBF0D, 0xEA5E, 0xD96F, 0x40F8, 0x73C9, 0x269A, 0x15AB,
		0x0DCC, 0x3EFD, 0x6BAE, 0x589F, 0xC108, 0xF239, 0xA76A, 0x945B,
		0x8465, 0xB754, 0xE207, 0xD136, 0x48A1, 0x7B90, 0x2EC3, 0x1DF2,
		0x0EBF, 0x3D8E, 0x68DD, 0x5BEC, 0xC27B, 0xF14A, 0xA419, 0x9728,
		0x8716, 0xB427, 0xE174, 0xD245, 0x4BD2, 0x78E3, 0x2DB0, 0x1E81,
		0x0B2A, 0x381B, 0x6D48, 0x5E79, 0xC7EE, 0xF4DF, 0xA18C, 0x92BD,
		0x8283, 0xB1B2, 0xE4E1, 0xD7D0, 0x4E47, 0x7D76, 0x2825, 0x1B14,
		0x0859, 0x3B68, 0x6E3B, 0x5D0A, 0xC49D, 0xF7AC, 0xA2FF, 0x91CE,
		0x81F0, 0xB2C1, 0xE792, 0xD4A3, 0x4D34, 0x7E05, 0x2B56, 0x1867,
		0x1B98, 0x28A9, 0x7DFA, 0x4ECB, 0xD75C, 0xE46D, 0xB13E, 0x820F,
		0x9231, 0xA100, 0xF453, 0xC762, 0x5EF5, 0x6DC4, 0x3897, 0x0BA6,
		0x18EB, 0x2BDA, 0x7E89, 0x4DB8, 0xD42F, 0xE71E, 0xB24D, 0x817C,
		0x9142, 0xA273, 0xF720, 0xC411, 0x5D86, 0x6EB7, 0x3BE4, 0x08D5,
		0x1D7E, 0x2E4F, 0x7B1C, 0x482D, 0xD1BA, 0xE28B, 0xB7D8, 0x84E9,
		0x94D7, 0xA7E6, 0xF2B5, 0xC184, 0x5813, 0x6B22, 0x3E71, 0x0D40,
		0x1E0D, 0x2D3C, 0x786F, 0x4B5E, 0xD2C9, 0xE1F8, 0xB4AB, 0x879A,
		0x97A4, 0xA495, 0xF1C6, 0xC2F7, 0x5B60, 0x6851, 0x3D02, 0x0E33,
		0x1654, 0x2565, 0x7036, 0x4307, 0xDA90, 0xE9A1, 0xBCF2, 0x8FC3,
		0x9FFD, 0xACCC, 0xF99F, 0xCAAE, 0x5339, 0x6008, 0x355B, 0x066A,
		0x1527, 0x2616, 0x7345, 0x4074, 0xD9E3, 0xEAD2, 0xBF81, 0x8CB0,
		0x9C8E, 0xAFBF, 0xFAEC, 0xC9DD, 0x504A, 0x637B, 0x3628, 0x0519,
		0x10B2, 0x2383, 0x76D0, 0x45E1, 0xDC76, 0xEF47, 0xBA14, 0x8925,
		0x991B, 0xAA2A, 0xFF79, 0xCC48, 0x55DF, 0x66EE, 0x33BD, 0x008C,
		0x13C1, 0x20F0, 0x75A3, 0x4692, 0xDF05, 0xEC34, 0xB967, 0x8A56,
		0x9A68, 0xA959, 0xFC0A, 0xCF3B, 0x56AC, 0x659D, 0x30CE, 0x03FF,
	},
	{
		0x0000, 0x3730, 0x6E60, 0x5950, 0xDCC0, 0xEBF0, 0xB2A0, 0x8590,
		0xA9A1, 0x9E91, 0xC7C1, 0xF0F1, 0x7561, 0x4251, 0x1B01, 0x2C31,
		0x4363, 0x7453, 0x2D03, 0x1A33, 0x9FA3, 0xA893, 0xF1C3, 0xC6F3,
		0xEAC2, 0xDDF2, 0x84A2, 0xB392, 0x3602, 0x0132, 0x5862, 0x6F52,
		0x86C6, 0xB1F6, 0xE8A6, 0xDF96, 0x5A06, 0x6D36, 0x3466, 0x0356,
		0x2F67, 0x1857, 0x4107, 0x7637, 0xF3A7, 0xC497, 0x9DC7, 0xAAF7,
		0xC5A5, 0xF295, 0xABC5, 0x9CF5, 0x1965, 0x2E55, 0x7705, 0x4035,
		0x6C04, 0x5B34, 0x0264, 0x3554, 0xB0C4, 0x87F4, 0xDEA4, 0xE994,
		0x1DAD, 0x2A9D, 0x73CD, 0x44FD, 0xC16D, 0xF65D, 0xAF0D, 0x983D,
		0xB40C, 0x833C, 0xDA6C, 0xED5C, 0x68CC, 0x5FFC, 0x06AC, 0x319C,
		0x5ECE, 0x69FE, 0x30AE, 0x079E, 0x820E, 0xB53E, 0xEC6E, 0xDB5E,
		0xF76F, 0xC05F, 0x990F, 0xAE3F, 0x2BAF, 0x1C9F, 0x45CF, 0x72FF,
		0x9B6B, 0xAC5B, 0xF50B, 0xC23B, 0x47AB, 0x709B, 0x29CB, 0x1EFB,
		0x32CA, 0x05FA, 0x5CAA, 0x6B9A, 0xEE0A, 0xD93A, 0x806A, 0xB75A,
		0xD808, 0xEF38, 0xB668, 0x8158, 0x04C8, 0x33F8, 0x6AA8, 0x5D98,
		0x71A9, 0x4699, 0x1FC9, 0x28F9, 0xAD69, 0x9A59, 0xC309, 0xF439,
		0x3B5A, 0x0C6A, 0x553A, 0x620A, 0xE79A, 0xD0AA, 0x89FA, 0xBECA,
		0x92FB, 0xA5CB, 0xFC9B, 0xCBAB, 0x4E3B, 0x790B, 0x205B, 0x176B,
		0x7839, 0x4F09, 0x1659, 0x2169, 0xA4F9, 0x93C9, 0xCA99, 0xFDA9,
		0xD198, 0xE6A8, 0xBFF8, 0x88C8, 0x0D58, 0x3A68, 0x6338, 0x5408,
		0xBD9C, 0x8AAC, 0xD3FC, 0xE4CC, 0x615C, 0x566C, 0x0F3C, 0x380C,
		0x143D, 0x230D, 0x7A5D, 0x4D6D, 0xC8FD, 0xFFCD, 0xA69D, 0x91AD,
		0xFEFF, 0xC9CF, 0x909F, 0xA7AF, 0x223F, 0x150F, 0x4C5F, 0x7B6F,
		0x575E, 0x606E, 0x393E, 0x0E0E, 0x8B9E, 0xBCAE, 0xE5FE, 0xD2CE,
		0x26F7, 0x11C7, 0x4897, 0x7FA7, 0xFA37, 0xCD07, 0x9457, 0xA367,
		0x8F56, 0xB866, 0xE136, 0xD606, 0x5396, 0x64A6, 0x3DF6, 0x0AC6,
		0x6594, 0x52A4, 0x0BF4, 0x3CC4, 0xB954, 0x8E64, 0xD734, 0xE004,
		0xCC35, 0xFB05, 0xA255, 0x9565, 0x10F5, 0x27C5, 0x7E95, 0x49A5,
		0xA031, 0x9701, 0xCE51, 0xF961, 0x7CF1, 0x4BC1, 0x1291, 0x25A1,
		0x0990, 0x3EA0, 0x67F0, 0x50C0, 0xD550, 0xE260, 0xBB30, 0x8C00,
		0xE352, 0xD462, 0x8D32, 0xBA02, 0x3F92, 0x08A2, 0x51F2, 0x66C2,
		0x4AF3, 0x7DC3, 0x2493, 0x13A3, 0x9633, 0xA103, 0xF853, 0xCF63,
	},
	{
		0x0000, 0x76B4, 0xED68, 0x9BDC, 0xCAF1, 0xBC45, 0x2799, 0x512D,
		0x85C3, 0xF377, 0x68AB, 0x1E1F, 0x4F32, 0x3986, 0xA25A, 0xD4EE,
		0x1BA7, 0x6D13, 0xF6CF, 0x807B, 0xD156, 0xA7E2, 0x3C3E, 0x4A8A,
		0x9E64, 0xE8D0, 0x730C, 0x05B8, 0x5495, 0x2221, 0xB9FD, 0xCF49,
		0x374E, 0x41FA, 0xDA26, 0xAC92, 0xFDBF, 0x8B0B, 0x10D7, 0x6663,
		0xB28D, 0xC439, 0x5FE5, 0x2951, 0x787C, 0x0EC8, 0x9514, 0xE3A0,
		0x2CE9, 0x5A5D, 0xC181, 0xB735, 0xE618, 0x90AC, 0x0B70, 0x7DC4,
		0xA92A, 0xDF9E, 0x4442, 0x32F6, 0x63DB, 0x156F, 0x8EB3, 0xF807,
		0x6E9C, 0x1828, 0x83F4, 0xF540, 0xA46D, 0xD2D9, 0x4905, 0x3FB1,
		0xEB5F, 0x9DEB, 0x0637, 0x7083, 0x21AE, 0x571A, 0xCCC6, 0xBA72,
		0x753B, 0x038F, 0x9853, 0xEEE7, 0xBFCA, 0xC97E, 0x52A2, 0x2416,
		0xF0F8, 0x864C, 0x1D90, 0x6B24, 0x3A09, 0x4CBD, 0xD761, 0xA1D5,
		0x59D2, 0x2F66, 0xB4BA, 0xC20E, 0x9323, 0xE597, 0x7E4B, 0x08FF,
		0xDC11, 0xAAA5, 0x3179, 0x47CD, 0x16E0, 0x6054, 0xFB88, 0x8D3C,
		0x4275, 0x34C1, 0xAF1D, 0xD9A9, 0x8884, 0xFE30, 0x65EC, 0x1358,
		0xC7B6, 0xB102, 0x2ADE, 0x5C6A, 0x0D47, 0x7BF3, 0xE02F, 0x969B,
		0xDD38, 0xAB8C, 0x3050, 0x46E4, 0x17C9, 0x617D, 0xFAA1, 0x8C15,
		0x58FB, 0x2E4F, 0xB593, 0xC327, 0x920A, 0xE4BE, 0x7F62, 0x09D6,
		0xC69F, 0xB02B, 0x2BF7, 0x5D43, 0x0C6E, 0x7ADA, 0xE106, 0x97B2,
		0x435C, 0x35E8, 0xAE34, 0xD880, 0x89AD, 0xFF19, 0x64C5, 0x1271,
		0xEA76, 0x9CC2, 0x071E, 0x71AA, 0x2087, 0x5633, 0xCDEF, 0xBB5B,
		0x6FB5, 0x1901, 0x82DD, 0xF469, 0xA544, 0xD3F0, 0x482C, 0x3E98,
		0xF1D1, 0x8765, 0x1CB9, 0x6A0D, 0x3B20, 0x4D94, 0xD648, 0xA0FC,
		0x7412, 0x02A6, 0x997A, 0xEFCE, 0xBEE3, 0xC857, 0x538B, 0x253F,
		0xB3A4, 0xC510, 0x5ECC, 0x2878, 0x7955, 0x0FE1, 0x943D, 0xE289,
		0x3667, 0x40D3, 0xDB0F, 0xADBB, 0xFC96, 0x8A22, 0x11FE, 0x674A,
		0xA803, 0xDEB7, 0x456B, 0x33DF, 0x62F2, 0x1446, 0x8F9A, 0xF92E,
		0x2DC0, 0x5B74, 0xC0A8, 0xB61C, 0xE731, 0x9185, 0x0A59, 0x7CED,
		0x84EA, 0xF25E, 0x6982, 0x1F36, 0x4E1B, 0x38AF, 0xA373, 0xD5C7,
		0x0129, 0x779D, 0xEC41, 0x9AF5, 0xCBD8, 0xBD6C, 0x26B0, 0x5004,
		0x9F4D, 0xE9F9, 0x7225, 0x0491, 0x55BC, 0x2308, 0xB8D4, 0xCE60,
		0x1A8E, 0x6C3A, 0xF7E6, 0x8152, 0xD07F, 0xA6CB, 0x3D17, 0x4BA3,
	},
	{
		0x0000, 0xAA51, 0x4483, 0xEED2, 0x8906, 0x2357, 0xCD85, 0x67D4,
		0x022D, 0xA87C, 0x46AE, 0xECFF, 0x8B2B, 0x217A, 0xCFA8, 0x65F9,
		0x045A, 0xAE0B, 0x40D9, 0xEA88, 0x8D5C, 0x270D, 0xC9DF, 0x638E,
		0x0677, 0xAC26, 0x42F4, 0xE8A5, 0x8F71, 0x2520, 0xCBF2, 0x61A3,
		0x08B4, 0xA2E5, 0x4C37, 0xE666, 0x81B2, 0x2BE3, 0xC531, 0x6F60,
		0x0A99, 0xA0C8, 0x4E1A, 0xE44B, 0x839F, 0x29CE, 0xC71C, 0x6D4D,
		0x0CEE, 0xA6BF, 0x486D, 0xE23C, 0x85E8, 0x2FB9, 0xC16B, 0x6B3A,
		0x0EC3, 0xA492, 0x4A40, 0xE011, 0x87C5, 0x2D94, 0xC346, 0x6917,
		0x1168, 0xBB39, 0x55EB, 0xFFBA, 0x986E, 0x323F, 0xDCED, 0x76BC,
		0x1345, 0xB914, 0x57C6, 0xFD97, 0x9A43, 0x3012, 0xDEC0, 0x7491,
		0x1532, 0xBF63, 0x51B1, 0xFBE0, 0x9C34, 0x3665, 0xD8B7, 0x72E6,
		0x171F, 0xBD4E, 0x539C, 0xF9CD, 0x9E19, 0x3448, 0xDA9A, 0x70CB,
		0x19DC, 0xB38D, 0x5D5F, 0xF70E, 0x90DA, 0x3A8B, 0xD459, 0x7E08,
		0x1BF1, 0xB1A0, 0x5F72, 0xF523, 0x92F7, 0x38A6, 0xD674, 0x7C25,
		0x1D86, 0xB7D7, 0x5905, 0xF354, 0x9480, 0x3ED1, 0xD003, 0x7A52,
		0x1FAB, 0xB5FA, 0x5B28, 0xF179, 0x96AD, 0x3CFC, 0xD22E, 0x787F,
		0x22D0, 0x8881, 0x6653, 0xCC02, 0xABD6, 0x0187, 0xEF55, 0x4504,
		0x20FD, 0x8AAC, 0x647E, 0xCE2F, 0xA9FB, 0x03AA, 0xED78, 0x4729,
		0x268A, 0x8CDB, 0x6209, 0xC858, 0xAF8C, 0x05DD, 0xEB0F, 0x415E,
		0x24A7, 0x8EF6, 0x6024, 0xCA75, 0xADA1, 0x07F0, 0xE922, 0x4373,
		0x2A64, 0x8035, 0x6EE7, 0xC4B6, 0xA362, 0x0933, 0xE7E1, 0x4DB0,
		0x2849, 0x8218, 0x6CCA, 0xC69B, 0xA14F, 0x0B1E, 0xE5CC, 0x4F9D,
		0x2E3E, 0x846F, 0x6ABD, 0xC0EC, 0xA738, 0x0D69, 0xE3BB, 0x49EA,
		0x2C13, 0x8642, 0x6890, 0xC2C1, 0xA515, 0x0F44, 0xE196, 0x4BC7,
		0x33B8, 0x99E9, 0x773B, 0xDD6A, 0xBABE, 0x10EF, 0xFE3D, 0x546C,
		0x3195, 0x9BC4, 0x7516, 0xDF47, 0xB893, 0x12C2, 0xFC10, 0x5641,
		0x37E2, 0x9DB3, 0x7361, 0xD930, 0xBEE4, 0x14B5, 0xFA67, 0x5036,
		0x35CF, 0x9F9E, 0x714C, 0xDB1D, 0xBCC9, 0x1698, 0xF84A, 0x521B,
		0x3B0C, 0x915D, 0x7F8F, 0xD5DE, 0xB20A, 0x185B, 0xF689, 0x5CD8,
		0x3921, 0x9370, 0x7DA2, 0xD7F3, 0xB027, 0x1A76, 0xF4A4, 0x5EF5,
		0x3F56, 0x9507, 0x7BD5, 0xD184, 0xB650, 0x1C01, 0xF2D3, 0x5882,
		0x3D7B, 0x972A, 0x79F8, 0xD3A9, 0xB47D, 0x1E2C, 0xF0FE, 0x5AAF,
	},
	{
		0x0000, 0x45A0, 0x8B40, 0xCEE0, 0x06A1, 0x4301, 0x8DE1, 0xC841,
		0x0D42, 0x48E2, 0x8602, 0xC3A2, 0x0BE3, 0x4E43, 0x80A3, 0xC503,
		0x1A84, 0x5F24, 0x91C4, 0xD464, 0x1C25, 0x5985, 0x9765, 0xD2C5,
		0x17C6, 0x5266, 0x9C86, 0xD926, 0x1167, 0x54C7, 0x9A27, 0xDF87,
		0x3508, 0x70A8, 0xBE48, 0xFBE8, 0x33A9, 0x7609, 0xB8E9, 0xFD49,
		0x384A, 0x7DEA, 0xB30A, 0xF6AA, 0x3EEB, 0x7B4B, 0xB5AB, 0xF00B,
		0x2F8C, 0x6A2C, 0xA4CC, 0xE16C, 0x292D, 0x6C8D, 0xA26D, 0xE7CD,
		0x22CE, 0x676E, 0xA98E, 0xEC2E, 0x246F, 0x61CF, 0xAF2F, 0xEA8F,
		0x6A10, 0x2FB0, 0xE150, 0xA4F0, 0x6CB1, 0x2911, 0xE7F1, 0xA251,
		0x6752, 0x22F2, 0xEC12, 0xA9B2, 0x61F3, 0x2453, 0xEAB3, 0xAF13,
		0x7094, 0x3534, 0xFBD4, 0xBE74, 0x7635, 0x3395, 0xFD75, 0xB8D5,
		0x7DD6, 0x3876, 0xF696, 0xB336, 0x7B77, 0x3ED7, 0xF037, 0xB597,
		0x5F18, 0x1AB8, 0xD458, 0x91F8, 0x59B9, 0x1C19, 0xD2F9, 0x9759,
		0x525A, 0x17FA, 0xD91A, 0x9CBA, 0x54FB, 0x115B, 0xDFBB, 0x9A1B,
		0x459C, 0x003C, 0xCEDC, 0x8B7C, 0x433D, 0x069D, 0xC87D, 0x8DDD,
		0x48DE, 0x0D7E, 0xC39E, 0x863E, 0x4E7F, 0x0BDF, 0xC53F, 0x809F,
		0xD420, 0x9180, 0x5F60, 0x1AC0, 0xD281, 0x9721, 0x59C1, 0x1C61,
		0xD962, 0x9CC2, 0x5222, 0x1782, 0xDFC3, 0x9A63, 0x5483, 0x1123,
		0xCEA4, 0x8B04, 0x45E4, 0x0044, 0xC805, 0x8DA5, 0x4345, 0x06E5,
		0xC3E6, 0x8646, 0x48A6, 0x0D06, 0xC547, 0x80E7, 0x4E07, 0x0BA7,
		0xE128, 0xA488, 0x6A68, 0x2FC8, 0xE789, 0xA229, 0x6CC9, 0x2969,
		0xEC6A, 0xA9CA, 0x672A, 0x228A, 0xEACB, 0xAF6B, 0x618B, 0x242B,
		0xFBAC, 0xBE0C, 0x70EC, 0x354C, 0xFD0D, 0xB8AD, 0x764D, 0x33ED,
		0xF6EE, 0xB34E, 0x7DAE, 0x380E, 0xF04F, 0xB5EF, 0x7B0F, 0x3EAF,
		0xBE30, 0xFB90, 0x3570, 0x70D0, 0xB891, 0xFD31, 0x33D1, 0x7671,
		0xB372, 0xF6D2, 0x3832, 0x7D92, 0xB5D3, 0xF073, 0x3E93, 0x7B33,
		0xA4B4, 0xE114, 0x2FF4, 0x6A54, 0xA215, 0xE7B5, 0x2955, 0x6CF5,
		0xA9F6, 0xEC56, 0x22B6, 0x6716, 0xAF57, 0xEAF7, 0x2417, 0x61B7,
		0x8B38, 0xCE98, 0x0078, 0x45D8, 0x8D99, 0xC839, 0x06D9, 0x4379,
		0x867A, 0xC3DA, 0x0D3A, 0x489A, 0x80DB, 0xC57B, 0x0B9B, 0x4E3B,
		0x91BC, 0xD41C, 0x1AFC, 0x5F5C, 0x971D, 0xD2BD, 0x1C5D, 0x59FD,
		0x9CFE, 0xD95E, 0x17BE, 0x521E, 0x9A5F, 0xDFFF, 0x111F, 0x54BF,
	},
	{
		0x0000, 0xB861, 0x60E3, 0xD882, 0xC1C6, 0x79A7, 0xA125, 0x1944,
		0x93AD, 0x2BCC, 0xF34E, 0x4B2F, 0x526B, 0xEA0A, 0x3288, 0x8AE9,
		0x377B, 0x8F1A, 0x5798, 0xEFF9, 0xF6BD, 0x4EDC, 0x965E, 0x2E3F,
		0xA4D6, 0x1CB7, 0xC435, 0x7C54, 0x6510, 0xDD71, 0x05F3, 0xBD92,
		0x6EF6, 0xD697, 0x0E15, 0xB674, 0xAF30, 0x1751, 0xCFD3, 0x77B2,
		0xFD5B, 0x453A, 0x9DB8, 0x25D9, 0x3C9D, 0x84FC, 0x5C7E, 0xE41F,
		0x598D, 0xE1EC, 0x396E, 0x810F, 0x984B, 0x202A, 0xF8A8, 0x40C9,
		0xCA20, 0x7241, 0xAAC3, 0x12A2, 0x0BE6, 0xB387, 0x6B05, 0xD364,
		0xDDEC, 0x658D, 0xBD0F, 0x056E, 0x1C2A, 0xA44B, 0x7CC9, 0xC4A8,
		0x4E41, 0xF620, 0x2EA2, 0x96C3, 0x8F87, 0x37E6, 0xEF64, 0x5705,
		0xEA97, 0x52F6, 0x8A74, 0x3215, 0x2B51, 0x9330, 0x4BB2, 0xF3D3,
		0x793A, 0xC15B, 0x19D9, 0xA1B8, 0xB8FC, 0x009D, 0xD81F, 0x607E,
		0xB31A, 0x0B7B, 0xD3F9, 0x6B98, 0x72DC, 0xCABD, 0x123F, 0xAA5E,
		0x20B7, 0x98D6, 0x4054, 0xF835, 0xE171, 0x5910, 0x8192, 0x39F3,
		0x8461, 0x3C00, 0xE482, 0x5CE3, 0x45A7, 0xFDC6, 0x2544, 0x9D25,
		0x17CC, 0xAFAD, 0x772F, 0xCF4E, 0xD60A, 0x6E6B, 0xB6E9, 0x0E88,
		0xABF9, 0x1398, 0xCB1A, 0x737B, 0x6A3F, 0xD25E, 0x0ADC, 0xB2BD,
		0x3854, 0x8035, 0x58B7, 0xE0D6, 0xF992, 0x41F3, 0x9971, 0x2110,
		0x9C82, 0x24E3, 0xFC61, 0x4400, 0x5D44, 0xE525, 0x3DA7, 0x85C6,
		0x0F2F, 0xB74E, 0x6FCC, 0xD7AD, 0xCEE9, 0x7688, 0xAE0A, 0x166B,
		0xC50F, 0x7D6E, 0xA5EC, 0x1D8D, 0x04C9, 0xBCA8, 0x642A, 0xDC4B,
		0x56A2, 0xEEC3, 0x3641, 0x8E20, 0x9764, 0x2F05, 0xF787, 0x4FE6,
		0xF274, 0x4A15, 0x9297, 0x2AF6, 0x33B2, 0x8BD3, 0x5351, 0xEB30,
		0x61D9, 0xD9B8, 0x013A, 0xB95B, 0xA01F, 0x187E, 0xC0FC, 0x789D,
		0x7615, 0xCE74, 0x16F6, 0xAE97, 0xB7D3, 0x0FB2, 0xD730, 0x6F51,
		0xE5B8, 0x5DD9, 0x855B, 0x3D3A, 0x247E, 0x9C1F, 0x449D, 0xFCFC,
		0x416E, 0xF90F, 0x218D, 0x99EC, 0x80A8, 0x38C9, 0xE04B, 0x582A,
		0xD2C3, 0x6AA2, 0xB220, 0x0A41, 0x1305, 0xAB64, 0x73E6, 0xCB87,
		0x18E3, 0xA082, 0x7800, 0xC061, 0xD925, 0x6144, 0xB9C6, 0x01A7,
		0x8B4E, 0x332F, 0xEBAD, 0x53CC, 0x4A88, 0xF2E9, 0x2A6B, 0x920A,
		0x2F98, 0x97F9, 0x4F7B, 0xF71A, 0xEE5E, 0x563F, 0x8EBD, 0x36DC,
		0xBC35, 0x0454, 0xDCD6, 0x64B7, 0x7DF3, 0xC592, 0x1D10, 0xA571,
	},
	{
		0x0000, 0x47D3, 0x8FA6, 0xC875, 0x0F6D, 0x48BE, 0x80CB, 0xC718,
		0x1EDA, 0x5909, 0x917C, 0xD6AF, 0x11B7, 0x5664, 0x9E11, 0xD9C2,
		0x3DB4, 0x7A67, 0xB212, 0xF5C1, 0x32D9, 0x750A, 0xBD7F, 0xFAAC,
		0x236E, 0x64BD, 0xACC8, 0xEB1B, 0x2C03, 0x6BD0, 0xA3A5, 0xE476,
		0x7B68, 0x3CBB, 0xF4CE, 0xB31D, 0x7405, 0x33D6, 0xFBA3, 0xBC70,
		0x65B2, 0x2261, 0xEA14, 0xADC7, 0x6ADF, 0x2D0C, 0xE579, 0xA2AA,
		0x46DC, 0x010F, 0xC97A, 0x8EA9, 0x49B1, 0x0E62, 0xC617, 0x81C4,
		0x5806, 0x1FD5, 0xD7A0, 0x9073, 0x576B, 0x10B8, 0xD8CD, 0x9F1E,
		0xF6D0, 0xB103, 0x7976, 0x3EA5, 0xF9BD, 0xBE6E, 0x761B, 0x31C8,
		0xE80A, 0xAFD9, 0x67AC, 0x207F, 0xE767, 0xA0B4, 0x68C1, 0x2F12,
		0xCB64, 0x8CB7, 0x44C2, 0x0311, 0xC409, 0x83DA, 0x4BAF, 0x0C7C,
		0xD5BE, 0x926D, 0x5A18, 0x1DCB, 0xDAD3, 0x9D00, 0x5575, 0x12A6,
		0x8DB8, 0xCA6B, 0x021E, 0x45CD, 0x82D5, 0xC506, 0x0D73, 0x4AA0,
		0x9362, 0xD4B1, 0x1CC4, 0x5B17, 0x9C0F, 0xDBDC, 0x13A9, 0x547A,
		0xB00C, 0xF7DF, 0x3FAA, 0x7879, 0xBF61, 0xF8B2, 0x30C7, 0x7714,
		0xAED6, 0xE905, 0x2170, 0x66A3, 0xA1BB, 0xE668, 0x2E1D, 0x69CE,
		0xFD81, 0xBA52, 0x7227, 0x35F4, 0xF2EC, 0xB53F, 0x7D4A, 0x3A99,
		0xE35B, 0xA488, 0x6CFD, 0x2B2E, 0xEC36, 0xABE5, 0x6390, 0x2443,
		0xC035, 0x87E6, 0x4F93, 0x0840, 0xCF58, 0x888B, 0x40FE, 0x072D,
		0xDEEF, 0x993C, 0x5149, 0x169A, 0xD182, 0x9651, 0x5E24, 0x19F7,
		0x86E9, 0xC13A, 0x094F, 0x4E9C, 0x8984, 0xCE57, 0x0622, 0x41F1,
		0x9833, 0xDFE0, 0x1795, 0x5046, 0x975E, 0xD08D, 0x18F8, 0x5F2B,
		0xBB5D, 0xFC8E, 0x34FB, 0x7328, 0xB430, 0xF3E3, 0x3B96, 0x7C45,
		0xA587, 0xE254, 0x2A21, 0x6DF2, 0xAAEA, 0xED39, 0x254C, 0x629F,
		0x0B51, 0x4C82, 0x84F7, 0xC324, 0x043C, 0x43EF, 0x8B9A, 0xCC49,
		0x158B, 0x5258, 0x9A2D, 0xDDFE, 0x1AE6, 0x5D35, 0x9540, 0xD293,
		0x36E5, 0x7136, 0xB943, 0xFE90, 0x3988, 0x7E5B, 0xB62E, 0xF1FD,
		0x283F, 0x6FEC, 0xA799, 0xE04A, 0x2752, 0x6081, 0xA8F4, 0xEF27,
		0x7039, 0x37EA, 0xFF9F, 0xB84C, 0x7F54, 0x3887, 0xF0F2, 0xB721,
		0x6EE3, 0x2930, 0xE145, 0xA696, 0x618E, 0x265D, 0xEE28, 0xA9FB,
		0x4D8D, 0x0A5E, 0xC22B, 0x85F8, 0x42E0, 0x0533, 0xCD46, 0x8A95,
		0x5357, 0x1484, 0xDCF1, 0x9B22, 0x5C3A, 0x1BE9, 0xD39C, 0x944F,
	},
};

uint16_t qr_emv_crc(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	unsigned c = 0xFFFF;

	while (len >= 8) {
		c = crc_tab[7][b[0] ^ (c >> 8)] ^ crc_tab[6][b[1] ^ (c & 0xFF)] ^
		    crc_tab[5][b[2]] ^ crc_tab[4][b[3]] ^ crc_tab[3][b[4]] ^
		    crc_tab[2][b[5]] ^ crc_tab[1][b[6]] ^ crc_tab[0][b[7]];
		b += 8;
		len -= 8;
	}
	while (len--)
		c = ((c << 8) & 0xFFFF) ^ crc_tab[0][(c >> 8) ^ *b++];
	return (uint16_t)c;
}

static const char hexdig[] = "0123456789ABCDEF";

/* ---- ISO 4217 ---- */

struct ccy {
	char alpha[4];
	char num[4];
	signed char exp;      /* minor-unit digits */
};

/* Sorted by numeric code: ccy_find_num() bisects it. Africa, Asia,
 * Latin America and the Caribbean, Oceania, Europe and the majors. */
static const struct ccy ccy_tab[] = {
	{"ALL", "008", 2}, {"DZD", "012", 2}, {"ARS", "032", 2}, {"AUD", "036", 2},
	{"BSD", "044", 2}, {"BHD", "048", 3}, {"BDT", "050", 2}, {"AMD", "051", 2},
	{"BBD", "052", 2}, {"BMD", "060", 2}, {"BTN", "064", 2}, {"BOB", "068", 2},
	{"BWP", "072", 2}, {"BZD", "084", 2}, {"SBD", "090", 2}, {"BND", "096", 2},
	{"MMK", "104", 2}, {"BIF", "108", 0}, {"KHR", "116", 2}, {"CAD", "124", 2},
	{"CVE", "132", 2}, {"KYD", "136", 2}, {"LKR", "144", 2}, {"CLP", "152", 0},
	{"CNY", "156", 2}, {"COP", "170", 2}, {"KMF", "174", 0}, {"CRC", "188", 2},
	{"CUP", "192", 2}, {"CZK", "203", 2}, {"DKK", "208", 2}, {"DOP", "214", 2},
	{"ETB", "230", 2}, {"ERN", "232", 2}, {"FJD", "242", 2}, {"DJF", "262", 0},
	{"GMD", "270", 2}, {"GTQ", "320", 2}, {"GNF", "324", 0}, {"GYD", "328", 2},
	{"HTG", "332", 2}, {"HNL", "340", 2}, {"HKD", "344", 2}, {"HUF", "348", 2},
	{"ISK", "352", 0}, {"INR", "356", 2}, {"IDR", "360", 2}, {"IRR", "364", 2},
	{"IQD", "368", 3}, {"ILS", "376", 2}, {"JMD", "388", 2}, {"JPY", "392", 0},
	{"KZT", "398", 2}, {"JOD", "400", 3}, {"KES", "404", 2}, {"KPW", "408", 2},
	{"KRW", "410", 0}, {"KWD", "414", 3}, {"KGS", "417", 2}, {"LAK", "418", 2},
	{"LBP", "422", 2}, {"LSL", "426", 2}, {"LRD", "430", 2}, {"LYD", "434", 3},
	{"MOP", "446", 2}, {"MWK", "454", 2}, {"MYR", "458", 2}, {"MVR", "462", 2},
	{"MUR", "480", 2}, {"MXN", "484", 2}, {"MNT", "496", 2}, {"MDL", "498", 2},
	{"MAD", "504", 2}, {"OMR", "512", 3}, {"NAD", "516", 2}, {"NPR", "524", 2},
	{"ANG", "532", 2}, {"AWG", "533", 2}, {"VUV", "548", 0}, {"NZD", "554", 2},
	{"NIO", "558", 2}, {"NGN", "566", 2}, {"NOK", "578", 2}, {"PKR", "586", 2},
	{"PAB", "590", 2}, {"PGK", "598", 2}, {"PYG", "600", 0}, {"PEN", "604", 2},
	{"PHP", "608", 2}, {"QAR", "634", 2}, {"RUB", "643", 2}, {"RWF", "646", 0},
	{"SHP", "654", 2}, {"SAR", "682", 2}, {"SCR", "690", 2}, {"SLL", "694", 2},
	{"SGD", "702", 2}, {"VND", "704", 0}, {"SOS", "706", 2}, {"ZAR", "710", 2},
	{"SSP", "728", 2}, {"SZL", "748", 2}, {"SEK", "752", 2}, {"CHF", "756", 2},
	{"SYP", "760", 2}, {"THB", "764", 2}, {"TOP", "776", 2}, {"TTD", "780", 2},
	{"AED", "784", 2}, {"TND", "788", 3}, {"UGX", "800", 0}, {"MKD", "807", 2},
	{"EGP", "818", 2}, {"GBP", "826", 2}, {"TZS", "834", 2}, {"USD", "840", 2},
	{"UYU", "858", 2}, {"UZS", "860", 2}, {"WST", "882", 2}, {"YER", "886", 2},
	{"TWD", "901", 2}, {"ZWG", "924", 2}, {"SLE", "925", 2}, {"VES", "928", 2},
	{"MRU", "929", 2}, {"STN", "930", 2}, {"ZWL", "932", 2}, {"BYN", "933", 2},
	{"TMT", "934", 2}, {"GHS", "936", 2}, {"SDG", "938", 2}, {"RSD", "941", 2},
	{"MZN", "943", 2}, {"AZN", "944", 2}, {"RON", "946", 2}, {"TRY", "949", 2},
	{"XAF", "950", 0}, {"XCD", "951", 2}, {"XOF", "952", 0}, {"XPF", "953", 0},
	{"ZMW", "967", 2}, {"SRD", "968", 2}, {"MGA", "969", 2}, {"AFN", "971", 2},
	{"TJS", "972", 2}, {"AOA", "973", 2}, {"BGN", "975", 2}, {"CDF", "976", 2},
	{"BAM", "977", 2}, {"EUR", "978", 2}, {"UAH", "980", 2}, {"GEL", "981", 2},
	{"PLN", "985", 2}, {"BRL", "986", 2},
};
#define NCCY (sizeof ccy_tab / sizeof ccy_tab[0])

static int is_digit(unsigned c)
{
	return c - '0' < 10u;
}

static int is_upper(unsigned c)
{
	return c - 'A' < 26u;
}

static unsigned to_upper(unsigned c)
{
	return c - 'a' < 26u ? c - 32 : c;
}

/* The entry for the 3 bytes at num, or NULL. Bisection of ccy_tab. */
static const struct ccy *ccy_find_num(const char *num, size_t n)
{
	size_t lo = 0, hi = NCCY;

	if (n != 3 || !is_digit((unsigned char)num[0]) ||
	    !is_digit((unsigned char)num[1]) || !is_digit((unsigned char)num[2]))
		return NULL;
	/* The 3 digits as one number compare as memcmp() would. */
	unsigned key = (unsigned)(unsigned char)num[0] << 16 |
		       (unsigned)(unsigned char)num[1] << 8 | (unsigned char)num[2];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const unsigned char *m = (const unsigned char *)ccy_tab[mid].num;
		unsigned k = (unsigned)m[0] << 16 | (unsigned)m[1] << 8 | m[2];
		if (k == key)
			return &ccy_tab[mid];
		if (key < k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The entry for the alpha code at a (any case), or NULL. Linear: about
 * 150 entries, only the encoder and registry codes need it. */
static const struct ccy *ccy_find_alpha(const char *a, size_t n)
{
	unsigned c0, c1, c2;

	if (n != 3)
		return NULL;
	c0 = to_upper((unsigned char)a[0]);
	c1 = to_upper((unsigned char)a[1]);
	c2 = to_upper((unsigned char)a[2]);
	for (size_t i = 0; i < NCCY; i++)
		if ((unsigned char)ccy_tab[i].alpha[0] == c0 &&
		    (unsigned char)ccy_tab[i].alpha[1] == c1 &&
		    (unsigned char)ccy_tab[i].alpha[2] == c2)
			return &ccy_tab[i];
	return NULL;
}

const char *qr_emv_ccy_num(const char *alpha)
{
	const struct ccy *c = alpha ? ccy_find_alpha(alpha, strlen(alpha)) : NULL;
	return c ? c->num : NULL;
}

const char *qr_emv_ccy_alpha(const char *num)
{
	const struct ccy *c = num ? ccy_find_num(num, strlen(num)) : NULL;
	return c ? c->alpha : NULL;
}

int qr_emv_ccy_exponent(const char *num)
{
	const struct ccy *c = num ? ccy_find_num(num, strlen(num)) : NULL;
	return c ? c->exp : -1;
}

/* ---- Names ---- */

static const char *root_name(unsigned id)
{
	static const char *const named[] = {
		[0] = "payload format indicator",
		[1] = "point of initiation method",
		[52] = "merchant category code",
		[53] = "transaction currency",
		[54] = "amount",
		[55] = "tip or convenience indicator",
		[56] = "convenience fee fixed",
		[57] = "convenience fee percentage",
		[58] = "country code",
		[59] = "merchant name",
		[60] = "merchant city",
		[61] = "postal code",
		[62] = "additional data",
		[63] = "CRC",
		[64] = "language template",
	};

	if (id < sizeof named / sizeof named[0] && named[id])
		return named[id];
	if (id <= 3)
		return "Visa account";
	if (id <= 5)
		return "Mastercard account";
	if (id <= 8)
		return "EMVCo account";
	if (id <= 10)
		return "Discover account";
	if (id <= 12)
		return "Amex account";
	if (id <= 14)
		return "JCB account";
	if (id <= 16)
		return "UnionPay account";
	if (id <= 25)
		return "EMVCo account";
	if (id <= 51)
		return "merchant account template";
	if (id >= 65 && id <= 79)
		return "RFU";
	if (id >= 80 && id <= 99)
		return "unreserved template";
	return "unknown";
}

const char *qr_emv_name(int parent_id, unsigned id)
{
	static const char *const adf[] = {
		[1] = "bill number", [2] = "mobile number", [3] = "store label",
		[4] = "loyalty number", [5] = "reference label",
		[6] = "customer label", [7] = "terminal label",
		[8] = "purpose of transaction",
		[9] = "additional consumer data request",
	};
	static const char *const lang[] = {
		[0] = "language preference", [1] = "alternate merchant name",
		[2] = "alternate merchant city",
	};

	if (id > 99)
		return "invalid ID";
	if (parent_id < 0)
		return root_name(id);
	if (parent_id == 62) {
		if (id >= 1 && id <= 9)
			return adf[id];
		return id >= 50 ? "payment system template" : "RFU";
	}
	if (parent_id == 64)
		return id <= 2 ? lang[id] : "RFU";
	if ((parent_id >= 26 && parent_id <= 51) || (parent_id >= 80 && parent_id <= 99))
		return id == 0 ? "GUI" : "network-specific";
	if (parent_id >= 6250 && parent_id <= 6299)
		return id == 0 ? "GUI" : "payment-system specific";
	return "unknown";
}

/* ---- UTF-8 ---- */

/* Length of the UTF-8 sequence at s, of which n >= 1 bytes are readable:
 * 1..4, 0 if invalid, -1 if s ends inside a sequence that is valid so
 * far. Rejects overlong forms, surrogates and code points over U+10FFFF. */
static int u8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0], need;
	unsigned lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		need = 2;
	} else if (c < 0xF0) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c < 0xF5) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < 2)
		return -1;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (unsigned k = 2; k < need; k++) {
		if (n <= k)
			return -1;
		if ((s[k] & 0xC0) != 0x80)
			return 0;
	}
	return (int)need;
}

/* Code point of the valid sequence at s. */
static unsigned u8_cp(const unsigned char *s)
{
	if (s[0] < 0x80)
		return s[0];
	if (s[0] < 0xE0)
		return (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu);
	if (s[0] < 0xF0)
		return (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
	return (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 |
	       (s[3] & 0x3Fu);
}

/* Steps over nch code points from s[*pos] without passing end. Returns 0
 * with *pos after them; 1 if the bytes end first (possibly inside a
 * sequence); -1 at an invalid byte. On 1 and -1, *pos is where it
 * stopped and *cnt counts the code points stepped over. */
static int u8_walk(const unsigned char *s, size_t *pos, size_t end, unsigned nch,
		   unsigned *cnt)
{
	size_t i = *pos;
	unsigned k = 0;

	while (k < nch) {
		int l;
		/* Fast path: 8 ASCII bytes are 8 characters. */
		if (nch - k >= 8 && end - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				k += 8;
				continue;
			}
		}
		if (i >= end)
			goto out;
		if (s[i] < 0x80) {
			i++;
			k++;
			continue;
		}
		l = u8_seq(s + i, end - i);
		if (l <= 0) {
			*pos = i;
			*cnt = k;
			return l == 0 ? -1 : 1;
		}
		i += (size_t)l;
		k++;
	}
	*pos = i;
	return 0;
out:
	*pos = i;
	*cnt = k;
	return 1;
}

/* ---- Diagnostics ---- */

/* Writes the raw bytes s[0..n) into buf, printable ASCII as is and
 * anything else as \xNN. */
static void esc(char *buf, size_t size, const unsigned char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 < size; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '"' && s[i] != '\\') {
			buf[o++] = (char)s[i];
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hexdig[s[i] >> 4];
			buf[o++] = hexdig[s[i] & 15];
		}
	}
	buf[o] = '\0';
}

/* A value for a message: as it is when it holds no control character,
 * quote or backslash (values are valid UTF-8 once scanned), else
 * escaped. */
static void quote_val(char *buf, size_t size, const unsigned char *v, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (v[k] < 0x20 || v[k] == 0x7F || v[k] == '"' || v[k] == '\\') {
			esc(buf, size, v, n);
			return;
		}
	}
	if (n >= size)
		n = size - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
}

/* Name code of a parent object for qr_emv_name(): its ID, or 6200 + ID
 * for a template nested in 62. */
static int name_code(const struct qr_emv *p, int parent)
{
	const struct qr_emv_obj *t;

	if (parent < 0)
		return -1;
	t = &p->obj[parent];
	if (t->parent >= 0)
		return p->obj[t->parent].id * 100 + t->id;
	return t->id;
}

/* "62.50.00 (GUI)": path and name of ID id under object parent (-1 for
 * the root). Returns the length written. */
static int desc(const struct qr_emv *p, int parent, unsigned id, char *buf, size_t size)
{
	int n;

	if (parent < 0) {
		n = snprintf(buf, size, "%02u (%s)", id, qr_emv_name(-1, id));
	} else if (p->obj[parent].parent >= 0) {
		n = snprintf(buf, size, "%02u.%02u.%02u (%s)",
			     (unsigned)p->obj[p->obj[parent].parent].id,
			     (unsigned)p->obj[parent].id, id,
			     qr_emv_name(name_code(p, parent), id));
	} else {
		n = snprintf(buf, size, "%02u.%02u (%s)", (unsigned)p->obj[parent].id,
			     id, qr_emv_name(name_code(p, parent), id));
	}
	if (n < 0)
		n = 0;
	if ((size_t)n >= size)
		n = (int)size - 1;
	return n;
}

#define QUOTE_MAX 24  /* values longer than this are not quoted */

struct pctx {
	struct qr_emv *p;
	const unsigned char *s;
	size_t len;
	struct qr_emv_diag *d;
	int strict;
	int crc_known;         /* the encoder just wrote the CRC: skip it */
	int dec54;             /* decimals of 54, once pass 3 checked it */
	int registry;          /* Mojaloop registry layout (28.01 = ALIAS) */
	uint32_t nchars;       /* payload length in code points */
	int16_t *root;         /* [100]: index of each root object, -1 if absent */
};

enum { NOTE_ERR, NOTE_WARN };

/* Formats one diagnostic: "<object> [\"value\" ]<text>[ (tolerated: why)]".
 * obj < 0 leaves the object out; quote adds the value if it is short. */
PRINTF(7, 0)
static void vnote(struct pctx *c, int kind, uint32_t coff, int obj, int quote,
		  const char *why, const char *fmt, va_list ap)
{
	struct qr_emv_note *nt;
	size_t n = 0, size = sizeof nt->msg;

	if (!c->d)
		return;
	if (kind == NOTE_ERR) {
		nt = &c->d->err;
	} else {
		if (c->d->nwarn++ >= QR_EMV_MAX_WARN)
			return;
		nt = &c->d->warn[c->d->nwarn - 1];
	}
	nt->offset = (int)coff;
	nt->msg[0] = '\0';
	if (obj >= 0) {
		const struct qr_emv_obj *o = &c->p->obj[obj];
		n = (size_t)desc(c->p, o->parent, o->id, nt->msg, size);
		if (n + 1 < size)
			nt->msg[n++] = ' ';
		if (quote && o->val_len <= QUOTE_MAX && n + 1 < size) {
			char q[QUOTE_MAX * 4 + 1];
			quote_val(q, sizeof q, c->s + o->val_off, o->val_len);
			int w = snprintf(nt->msg + n, size - n, "\"%s\" ", q);
			if (w > 0)
				n += (size_t)w;
			if (n >= size)
				n = size - 1;
		}
	}
	vsnprintf(nt->msg + n, size - n, fmt, ap);
	if (why && kind == NOTE_WARN) {
		n = strlen(nt->msg);
		snprintf(nt->msg + n, size - n, " (tolerated: %s)", why);
	}
}

/* Error about object obj (or none, -1); returns -1. */
PRINTF(5, 6) COLD
static int fail_o(struct pctx *c, uint32_t coff, int obj, int quote, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(c, NOTE_ERR, coff, obj, quote, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

/* Truncated payload; returns -2. */
PRINTF(3, 4) COLD
static int trunc_at(struct pctx *c, uint32_t coff, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(c, NOTE_ERR, coff, -1, 0, NULL, fmt, ap);
	va_end(ap);
	return -2;
}

PRINTF(5, 6) COLD
static void warn_o(struct pctx *c, uint32_t coff, int obj, int quote, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(c, NOTE_WARN, coff, obj, quote, NULL, fmt, ap);
	va_end(ap);
}

/* A deviation some national schemes carry: an error in strict mode, a
 * warning naming why it is tolerated otherwise. Returns -1 or 0. */
PRINTF(6, 7) COLD
static int dev_o(struct pctx *c, uint32_t coff, int obj, int quote, const char *why,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(c, c->strict ? NOTE_ERR : NOTE_WARN, coff, obj, quote, why, fmt, ap);
	va_end(ap);
	return c->strict ? -1 : 0;
}

/* ---- Pass 1: TLV structure ---- */

static int root_tmpl(unsigned id)
{
	return (id >= 26 && id <= 51) || id == 62 || id == 64 || id >= 80;
}

/* Reads the ID and LEN digits at s, avail bytes readable. Returns 0;
 * 1 if the bytes end first; -1 with *bad the index of a non-digit. */
static int head4(const unsigned char *s, size_t avail, unsigned *id, unsigned *nch,
		 unsigned *bad)
{
	for (unsigned k = 0; k < 4; k++) {
		if (k >= avail)
			return 1;
		if (!is_digit(s[k])) {
			*bad = k;
			return -1;
		}
	}
	*id = (s[0] - '0') * 10u + (s[1] - '0');
	*nch = (s[2] - '0') * 10u + (s[3] - '0');
	return 0;
}

/* Error for a non-digit in an ID or LEN at s (avail bytes readable),
 * under object parent. */
COLD
static int bad_head(struct pctx *c, int parent, const unsigned char *s, size_t avail,
		    uint32_t coff, unsigned bad)
{
	char raw[12], where[64] = "";

	if (parent >= 0) {
		int n = desc(c->p, c->p->obj[parent].parent, c->p->obj[parent].id,
			     where + 4, sizeof where - 4);
		memcpy(where, " in ", 4);
		where[4 + n] = '\0';
	}
	if (bad < 2) {
		esc(raw, sizeof raw, s, avail < 2 ? avail : 2);
		return fail_o(c, coff + bad, -1, 0, "ID \"%s\"%s is not 2 digits", raw, where);
	}
	char d[64];
	desc(c->p, parent, (s[0] - '0') * 10u + (s[1] - '0'), d, sizeof d);
	esc(raw, sizeof raw, s + 2, avail < 4 ? avail - 2 : 2);
	return fail_o(c, coff + bad, -1, 0, "%s length \"%s\" is not 2 digits", d, raw);
}

static int add_obj(struct pctx *c, size_t off, uint32_t coff, unsigned id, unsigned nch,
		   size_t vend, int parent, unsigned depth)
{
	struct qr_emv *p = c->p;
	struct qr_emv_obj *o;

	if (p->nobj >= QR_EMV_MAX_OBJS)
		return fail_o(c, coff, -1, 0, "more than %d data objects", QR_EMV_MAX_OBJS);
	o = &p->obj[p->nobj];
	o->off = (uint32_t)off;
	o->coff = coff;
	o->val_off = (uint32_t)off + 4;
	o->val_len = (uint16_t)(vend - off - 4);
	o->id = (uint8_t)id;
	o->nchars = (uint8_t)nch;
	o->parent = (int16_t)parent;
	o->nsub = 0;
	o->is_tmpl = 0;
	o->depth = (uint8_t)depth;
	return p->nobj++;
}

/* Splits the value of template ti into sub-objects (recursing once for
 * 62.50-99). Everything must be well-formed TLV inside the value. */
static int scan_tmpl(struct pctx *c, int ti)
{
	struct qr_emv *p = c->p;
	const unsigned char *s = c->s;
	size_t pos = p->obj[ti].val_off, end = pos + p->obj[ti].val_len;
	uint32_t cpos = p->obj[ti].coff + 4;
	unsigned depth = p->obj[ti].depth + 1u, tid = p->obj[ti].id;
	uint64_t seen[2] = {0, 0};
	char d1[64], d2[64], raw[40];

	p->obj[ti].is_tmpl = 1;
	while (pos < end) {
		unsigned id = 0, nch = 0, bad = 0, cnt = 0;
		size_t v;
		int r, i;

		r = head4(s + pos, end - pos, &id, &nch, &bad);
		if (r > 0) {
			desc(p, p->obj[ti].parent, tid, d1, sizeof d1);
			esc(raw, sizeof raw, s + pos, end - pos);
			return fail_o(c, cpos, -1, 0,
				      "%s is not TLV: it ends with \"%s\", too short for a data object",
				      d1, raw);
		}
		if (r < 0)
			return bad_head(c, ti, s + pos, end - pos, cpos, bad);
		if (nch == 0) {
			desc(p, ti, id, d1, sizeof d1);
			return fail_o(c, cpos + 2, -1, 0, "%s has length 00", d1);
		}
		if (seen[id >> 6] & (1ull << (id & 63))) {
			desc(p, ti, id, d1, sizeof d1);
			return fail_o(c, cpos, -1, 0, "%s appears twice", d1);
		}
		seen[id >> 6] |= 1ull << (id & 63);
		v = pos + 4;
		r = u8_walk(s, &v, end, nch, &cnt);
		if (r != 0) {
			desc(p, ti, id, d1, sizeof d1);
			desc(p, p->obj[ti].parent, tid, d2, sizeof d2);
			return fail_o(c, cpos, -1, 0,
				      "%s (length %02u) runs past the end of %s", d1, nch, d2);
		}
		i = add_obj(c, pos, cpos, id, nch, v, ti, depth);
		if (i < 0)
			return -1;
		p->obj[ti].nsub++;
		if (depth == 1 && tid == 62 && id >= 50 && scan_tmpl(c, i) < 0)
			return -1;
		cpos += 4 + nch;
		pos = v;
	}
	return 0;
}

/* Splits the payload into root objects up to and including 63. */
static int scan_root(struct pctx *c)
{
	struct qr_emv *p = c->p;
	const unsigned char *s = c->s;
	size_t len = c->len, pos = 0;
	uint32_t cpos = 0;
	char d1[64];

	for (;;) {
		unsigned id = 0, nch = 0, bad = 0, cnt = 0;
		size_t v;
		int r, i;

		if (pos == len) {
			c->nchars = cpos;
			if (pos == 0)
				return trunc_at(c, 0, "payload is empty");
			return trunc_at(c, cpos, "payload ends before 63 (CRC)");
		}
		r = head4(s + pos, len - pos, &id, &nch, &bad);
		if (r > 0)
			return trunc_at(c, cpos, "payload ends inside the ID or length of an object");
		if (r < 0)
			return bad_head(c, -1, s + pos, len - pos, cpos, bad);
		if (nch == 0) {
			desc(p, -1, id, d1, sizeof d1);
			return fail_o(c, cpos + 2, -1, 0, "%s has length 00", d1);
		}
		if (pos == 0 && id != 0) {
			desc(p, -1, id, d1, sizeof d1);
			return fail_o(c, 0, -1, 0,
				      "00 (payload format indicator) must come first, not %s", d1);
		}
		if (c->root[id] >= 0) {
			desc(p, -1, id, d1, sizeof d1);
			return fail_o(c, cpos, -1, 0, "%s appears twice", d1);
		}
		if (id == 63 && nch != 4)
			return fail_o(c, cpos + 2, -1, 0, "63 (CRC) has length %02u, not 04", nch);
		v = pos + 4;
		r = u8_walk(s, &v, len, nch, &cnt);
		if (r > 0) {
			desc(p, -1, id, d1, sizeof d1);
			return trunc_at(c, cpos, "payload ends inside %s (length %02u)", d1, nch);
		}
		if (r < 0) {
			desc(p, -1, id, d1, sizeof d1);
			return fail_o(c, cpos + 4 + cnt, -1, 0,
				      "%s has invalid UTF-8 (byte 0x%02X)", d1, s[v]);
		}
		i = add_obj(c, pos, cpos, id, nch, v, -1, 0);
		if (i < 0)
			return -1;
		c->root[id] = (int16_t)i;
		if (root_tmpl(id) && scan_tmpl(c, i) < 0)
			return -1;
		cpos += 4 + nch;
		pos = v;
		if (id == 63) {
			c->nchars = cpos;
			if (pos < len)
				return fail_o(c, cpos, -1, 0,
					      "data after 63 (CRC): the CRC must be the last object");
			return 0;
		}
	}
}

/* ---- Pass 2: CRC ---- */

static int hexval(unsigned c)
{
	if (is_digit(c))
		return (int)(c - '0');
	c = to_upper(c);
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	return -1;
}

static int check_crc(struct pctx *c)
{
	int i = c->root[63];
	const struct qr_emv_obj *o = &c->p->obj[i];
	const unsigned char *v = c->s + o->val_off;
	unsigned got = 0, want;
	int lower = 0;

	if (o->val_len != 4)
		return fail_o(c, o->coff, i, 1, "is not 4 hex digits");
	for (int k = 0; k < 4; k++) {
		int h = hexval(v[k]);
		if (h < 0)
			return fail_o(c, o->coff, i, 1, "is not 4 hex digits");
		if (v[k] >= 'a')
			lower = 1;
		got = got << 4 | (unsigned)h;
	}
	want = c->crc_known ? got : qr_emv_crc(c->s, o->off + 4u);
	if (got != want)
		return fail_o(c, o->coff, i, 1,
			      "does not match the payload, whose CRC is %04X", want);
	if (lower)
		return dev_o(c, o->coff, i, 1, "lower-case hex", "is not upper-case hex");
	return 0;
}

/* ---- Pass 3: each object's rules ---- */

static int all_digits(const unsigned char *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!is_digit(v[k]))
			return 0;
	return 1;
}

static int vis(const struct pctx *c, int i, const char *lit, size_t n)
{
	const struct qr_emv_obj *o = &c->p->obj[i];
	return o->val_len == n && memcmp(c->s + o->val_off, lit, n) == 0;
}

/* vis() for a 2-character literal, without a call to memcmp. */
static int vis2(const struct pctx *c, int i, char a, char b)
{
	const struct qr_emv_obj *o = &c->p->obj[i];
	const unsigned char *v = c->s + o->val_off;
	return o->val_len == 2 && v[0] == (unsigned char)a && v[1] == (unsigned char)b;
}

/* Whether the 8 bytes in w are all 0x20-0x7E: none has the top bit, none
 * is 0x7F (adding 1 to a byte then sets it, with no carry out of any
 * byte), none is below 0x20 (subtracting 0x20 then borrows from some
 * byte's top bit; a borrow needs a byte below 0x20 first). */
static int ans8(uint64_t w)
{
	return !((w | (w + 0x0101010101010101ull) | (w - 0x2020202020202020ull)) &
		 0x8080808080808080ull);
}

/* ans8() for 4 bytes. */
static int ans4(uint32_t w)
{
	return !((w | (w + 0x01010101u) | (w - 0x20202020u)) & 0x80808080u);
}

/* ans: printable ASCII only. Reports the first other character at its
 * own character offset. */
static int check_ans(struct pctx *c, int i)
{
	const struct qr_emv_obj *o = &c->p->obj[i];
	const unsigned char *v = c->s + o->val_off;
	size_t k = 0;

	/* Whole words first, the last one overlapping; the byte loop below
	 * finds the first character that is not. */
	if (o->val_len >= 8) {
		uint64_t w;
		for (; k + 8 <= o->val_len; k += 8) {
			memcpy(&w, v + k, 8);
			if (!ans8(w))
				break;
		}
		if (k == o->val_len)
			return 0;
		memcpy(&w, v + o->val_len - 8, 8);
		if (k + 8 > o->val_len && ans8(w))
			return 0;
	} else if (o->val_len >= 4) {
		uint32_t a, b;
		memcpy(&a, v, 4);
		memcpy(&b, v + o->val_len - 4, 4);
		if (ans4(a) && ans4(b))
			return 0;
	}
	for (; k < o->val_len; k++) {
		if (v[k] >= 0x20 && v[k] < 0x7F)
			continue;
		/* All bytes before k are ASCII: k is also the character index. */
		uint32_t at = o->coff + 4 + (uint32_t)k;
		if (v[k] >= 0x80)
			return fail_o(c, at, i, 0,
				      "has non-ASCII character U+%04X; only printable ASCII (ans) is allowed",
				      u8_cp(v + k));
		return fail_o(c, at, i, 0,
			      "has control character 0x%02X; only printable ASCII (ans) is allowed",
			      v[k]);
	}
	return 0;
}

/* Amount grammar ^[0-9]+(\.[0-9]*)?$. Returns the number of decimals,
 * or -1. *nonzero tells whether any digit is not 0. */
static int amount_parse(const unsigned char *v, size_t n, int *nonzero)
{
	size_t k = 0, dot;

	*nonzero = 0;
	while (k < n && is_digit(v[k]))
		*nonzero |= v[k++] != '0';
	if (k == 0)
		return -1;
	if (k == n)
		return 0;
	if (v[k] != '.')
		return -1;
	dot = ++k;
	while (k < n && is_digit(v[k]))
		*nonzero |= v[k++] != '0';
	if (k != n)
		return -1;
	return (int)(n - dot);
}

/* 54 and 56: decimal amount, 1-13 characters, not zero. Stores the
 * number of decimals in *dec. */
static int check_amount(struct pctx *c, int i, int *dec)
{
	const struct qr_emv_obj *o = &c->p->obj[i];
	const unsigned char *v = c->s + o->val_off;
	int nz;

	if (o->nchars > 13)
		return fail_o(c, o->coff, i, 0, "is %u characters, over 13", o->nchars);
	if ((*dec = amount_parse(v, o->val_len, &nz)) < 0) {
		if (v[0] == '.')
			return fail_o(c, o->coff, i, 1,
				      "is not a decimal amount (a digit must come before '.')");
		return fail_o(c, o->coff, i, 1,
			      "is not a decimal amount (digits with at most one '.')");
	}
	if (!nz)
		return fail_o(c, o->coff, i, 1, "is zero");
	return 0;
}

/* 57: percentage 00.01-99.99, digits and an optional '.'. */
static int check_percent(struct pctx *c, int i)
{
	const struct qr_emv_obj *o = &c->p->obj[i];
	const unsigned char *v = c->s + o->val_off;
	unsigned milli = 0;  /* value in thousandths of a percent */
	int nz, dec;
	size_t k;

	if (o->nchars > 5)
		return fail_o(c, o->coff, i, 0, "is %u characters, over 5", o->nchars);
	dec = amount_parse(v, o->val_len, &nz);
	if (dec < 0)
		return fail_o(c, o->coff, i, 1,
			      "is not a percentage (digits with at most one '.', no '%%')");
	for (k = 0; k < o->val_len && v[k] != '.'; k++)
		milli = milli * 10 + (v[k] - '0');
	milli *= 1000;
	for (unsigned scale = 100; ++k < o->val_len; scale /= 10)
		milli += (v[k] - '0') * scale;   /* at most 3 decimals fit in 5 chars */
	if (milli < 10 || milli > 99990)
		return fail_o(c, o->coff, i, 1, "is not between 00.01 and 99.99");
	return 0;
}

/* Index of the direct child id of template t, or -1. Children follow
 * their template, depth first. */
static int child(const struct qr_emv *p, int t, unsigned id)
{
	unsigned dep = p->obj[t].depth;

	for (int j = t + 1; j < p->nobj && p->obj[j].depth > dep; j++)
		if (p->obj[j].parent == t && p->obj[j].id == id)
			return j;
	return -1;
}

/* 8-4-4-4-12 hex digits. */
static int is_uuid36(const unsigned char *v, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t k = 0; k < 36; k++) {
		if (k == 8 || k == 13 || k == 18 || k == 23) {
			if (v[k] != '-')
				return 0;
		} else if (hexval(v[k]) < 0) {
			return 0;
		}
	}
	return 1;
}

/* Sub-00 of 26-51, 80-99, 62.50-99: ans, 1-32 characters. */
static int check_gui(struct pctx *c, int i)
{
	const struct qr_emv_obj *o = &c->p->obj[i];

	if (check_ans(c, i) < 0)
		return -1;
	if (o->nchars <= 32)
		return 0;
	if (c->registry && o->depth == 1 && c->p->obj[o->parent].id == 28 &&
	    is_uuid36(c->s + o->val_off, o->val_len))
		return dev_o(c, o->coff, i, 0, "Mojaloop registry random UUID",
			     "is %u characters, over 32", o->nchars);
	return fail_o(c, o->coff, i, 0, "is %u characters, over 32", o->nchars);
}

static int need_gui(struct pctx *c, int i)
{
	if (child(c->p, i, 0) < 0)
		return fail_o(c, c->p->obj[i].coff, i, 0, "has no GUI (sub-ID 00)");
	return 0;
}

/* ans with a maximum length (strict everywhere). */
static int check_ans_max(struct pctx *c, int i, unsigned max)
{
	const struct qr_emv_obj *o = &c->p->obj[i];

	if (check_ans(c, i) < 0)
		return -1;
	if (o->nchars > max)
		return fail_o(c, o->coff, i, 0, "is %u characters, over %u", o->nchars, max);
	return 0;
}

static int check_root(struct pctx *c, int i)
{
	const struct qr_emv_obj *o = &c->p->obj[i];
	const unsigned char *v = c->s + o->val_off;
	size_t n = o->val_len;
	unsigned id = o->id;

	switch (id) {
	case 0:
		if (vis2(c, i, '0', '1'))
			return 0;
		if (vis2(c, i, '0', '2'))
			return dev_o(c, o->coff, i, 1, "format 02, as DuitNow codes carry",
				     "is not \"01\"");
		return fail_o(c, o->coff, i, 1, "is not \"01\"");
	case 1:
		if (vis2(c, i, '1', '1') || vis2(c, i, '1', '2'))
			return 0;
		return fail_o(c, o->coff, i, 1, "is not \"11\" (static) or \"12\" (dynamic)");
	case 52:
		if (n == 4 && all_digits(v, n))
			return 0;
		if (c->registry && n == 5 && all_digits(v, n))
			return dev_o(c, o->coff, i, 1, "Mojaloop registry ISIC code",
				     "is not 4 digits");
		return fail_o(c, o->coff, i, 1, "is not 4 digits");
	case 53:
		if (n == 3 && all_digits(v, n))
			return 0;
		if (c->registry && n == 3 && is_upper(v[0]) && is_upper(v[1]) && is_upper(v[2]))
			return dev_o(c, o->coff, i, 1, "Mojaloop registry alphabetic code",
				     "is not 3 digits (ISO 4217 numeric)");
		return fail_o(c, o->coff, i, 1, "is not 3 digits (ISO 4217 numeric)");
	case 54:
		return check_amount(c, i, &c->dec54);
	case 56: {
		int dec;
		return check_amount(c, i, &dec);
	}
	case 55:
		if (vis2(c, i, '0', '1') || vis2(c, i, '0', '2') || vis2(c, i, '0', '3'))
			return 0;
		return fail_o(c, o->coff, i, 1, "is not 01, 02 or 03");
	case 57:
		return check_percent(c, i);
	case 58:
		if (n == 2 && is_upper(v[0]) && is_upper(v[1]))
			return 0;
		return fail_o(c, o->coff, i, 1, "is not an upper-case ISO 3166 alpha-2 code");
	case 59:
	case 60:
		if (check_ans(c, i) < 0)
			return -1;
		if (o->nchars > (id == 59 ? 25u : 15u))
			return dev_o(c, o->coff, i, 0, "over-long name or city",
				     "is %u characters, over %u", o->nchars, id == 59 ? 25u : 15u);
		return 0;
	case 61:
		return check_ans_max(c, i, 10);
	case 62:
	case 63:
		return 0;
	case 64:
		if (child(c->p, i, 0) < 0)
			return fail_o(c, o->coff, i, 0, "has no 00 (language preference)");
		if (child(c->p, i, 1) < 0)
			return fail_o(c, o->coff, i, 0, "has no 01 (alternate merchant name)");
		return 0;
	default:
		break;
	}
	if (id >= 2 && id <= 25)
		return check_ans(c, i);
	if ((id >= 26 && id <= 51) || id >= 80)
		return need_gui(c, i);
	if (id >= 65 && id <= 79)
		warn_o(c, o->coff, i, 0, "is reserved for future use by EMVCo");
	return 0;
}

/* Sub-objects (depth 1 and 2). */
static int check_sub(struct pctx *c, int i)
{
	const struct qr_emv_obj *o = &c->p->obj[i];
	const unsigned char *v = c->s + o->val_off;
	unsigned pid = c->p->obj[o->parent].id, id = o->id;

	if (o->depth == 2)
		return id == 0 ? check_gui(c, i) : 0;
	if (pid == 62) {
		if (id >= 1 && id <= 8)
			return check_ans_max(c, i, 25);
		if (id == 9) {
			unsigned seen = 0;
			if (check_ans_max(c, i, 3) < 0)
				return -1;
			for (size_t k = 0; k < o->val_len; k++) {
				unsigned bit = v[k] == 'A' ? 1 : v[k] == 'M' ? 2 : v[k] == 'E' ? 4 : 0;
				if (!bit || (seen & bit))
					return fail_o(c, o->coff, i, 1,
						      "is not a set of A, M and E, each at most once");
				seen |= bit;
			}
			return 0;
		}
		if (id >= 50)
			return need_gui(c, i);
		return 0;   /* 00, 10-49: RFU, kept as they are */
	}
	if (pid == 64) {
		if (id == 0) {
			if (check_ans(c, i) < 0)
				return -1;
			if (o->nchars != 2)
				return fail_o(c, o->coff, i, 1, "is not 2 characters (ISO 639)");
			return 0;
		}
		if (id == 1 && o->nchars > 25)
			return fail_o(c, o->coff, i, 0, "is %u characters, over 25", o->nchars);
		if (id == 2 && o->nchars > 15)
			return fail_o(c, o->coff, i, 0, "is %u characters, over 15", o->nchars);
		return 0;
	}
	/* 26-51 and 80-99: GUI, then network-specific S fields. */
	return id == 0 ? check_gui(c, i) : 0;
}

/* ---- Pass 4: rules between objects ---- */

static int check_payload(struct pctx *c)
{
	const int16_t *r = c->root;
	int acct = 0;
	char d1[64];

	if (r[52] < 0 && dev_o(c, 0, -1, 0, "peer-to-peer profile",
			       "52 (merchant category code) is missing") < 0)
		return -1;
	if (r[53] < 0)
		return fail_o(c, 0, -1, 0, "53 (transaction currency) is missing");
	if (r[58] < 0) {
		if (!c->registry)
			return fail_o(c, 0, -1, 0, "58 (country code) is missing");
		if (dev_o(c, 0, -1, 0, "Mojaloop registry code",
			  "58 (country code) is missing") < 0)
			return -1;
	}
	if (r[59] < 0 && dev_o(c, 0, -1, 0, "peer-to-peer profile",
			       "59 (merchant name) is missing") < 0)
		return -1;
	if (r[60] < 0 && dev_o(c, 0, -1, 0, "peer-to-peer profile",
			       "60 (merchant city) is missing") < 0)
		return -1;
	/* Any of r[2..51] >= 0: four entries at a time, an absent one
	 * being -1 (top bit set). */
	for (int id = 2; id < 50 && !acct; id += 4) {
		uint64_t w;
		memcpy(&w, r + id, 8);
		acct = (~w & 0x8000800080008000ull) != 0;
	}
	acct |= r[50] >= 0 || r[51] >= 0;
	if (!acct)
		return fail_o(c, 0, -1, 0, "no merchant account information (IDs 02-51)");

	/* 55 selects which of 56 and 57 may appear. */
	if (r[55] < 0) {
		if (r[56] >= 0)
			return fail_o(c, c->p->obj[r[56]].coff, r[56], 0,
				      "is present without 55 (tip or convenience indicator)");
		if (r[57] >= 0)
			return fail_o(c, c->p->obj[r[57]].coff, r[57], 0,
				      "is present without 55 (tip or convenience indicator)");
	} else {
		int i55 = r[55];
		const unsigned char *v = c->s + c->p->obj[i55].val_off;
		int want56 = v[1] == '2', want57 = v[1] == '3';   /* "01".."03" */
		if (r[56] >= 0 && !want56)
			return fail_o(c, c->p->obj[r[56]].coff, r[56], 0,
				      "is present but 55 (tip or convenience indicator) is \"0%c\"",
				      v[1]);
		if (r[57] >= 0 && !want57)
			return fail_o(c, c->p->obj[r[57]].coff, r[57], 0,
				      "is present but 55 (tip or convenience indicator) is \"0%c\"",
				      v[1]);
		if ((want56 && r[56] < 0) || (want57 && r[57] < 0)) {
			desc(c->p, -1, want56 ? 56 : 57, d1, sizeof d1);
			return fail_o(c, c->p->obj[i55].coff, i55, 1, "requires %s", d1);
		}
	}

	/* SHOULD rules: warnings in both modes. */
	if (r[54] >= 0 && r[53] >= 0 && c->dec54 > 0) {
		const struct qr_emv_obj *a = &c->p->obj[r[54]], *k = &c->p->obj[r[53]];
		const char *cv = (const char *)c->s + k->val_off;
		const struct ccy *cy = ccy_find_num(cv, k->val_len);
		int dec = c->dec54;   /* 54 passed check_amount() in pass 3 */
		if (!cy && c->registry)
			cy = ccy_find_alpha(cv, k->val_len);
		if (cy && dec > 0 && dec != cy->exp)
			warn_o(c, a->coff, r[54], 1, "has %d decimal%s; %s (%s) has %d",
			       dec, dec == 1 ? "" : "s", cy->alpha, cy->num, cy->exp);
	}
	if (c->nchars > 512)
		warn_o(c, 512, -1, 0, "payload is %u characters, over the 512 EMVCo recommends",
		       (unsigned)c->nchars);
	return 0;
}

/* Mojaloop merchant-registry layout: template 28 with 01 = "ALIAS". */
static int is_registry(const struct pctx *c)
{
	int t = c->root[28], a;

	if (t < 0 || !c->p->obj[t].is_tmpl)
		return 0;
	a = child(c->p, t, 1);
	return a >= 0 && vis(c, a, "ALIAS", 5);
}

/* Sets up c for the payload s of len bytes and clears d. */
static void pctx_init(struct pctx *c, struct qr_emv *p, const char *s, size_t len,
		      unsigned flags, struct qr_emv_diag *d, int crc_known, int16_t *root)
{
	p->s = s;
	p->len = len;
	if (d) {
		d->err.offset = 0;
		d->err.msg[0] = '\0';
		d->nwarn = 0;
	}
	c->p = p;
	c->s = (const unsigned char *)s;
	c->len = len;
	c->d = d;
	c->strict = (flags & QR_EMV_STRICT) != 0;
	c->crc_known = crc_known;
	c->registry = 0;
	c->dec54 = 0;
	c->nchars = 0;
	c->root = root;
}

/* Passes 2 to 4 on the object table of pass 1 (c->p, c->root and
 * c->nchars set). Returns 0 or -1. */
static int check_rules(struct pctx *c)
{
	struct qr_emv *p = c->p;

	if (check_crc(c) < 0)
		return -1;
	c->registry = is_registry(c);
	for (int i = 0; i < p->nobj; i++) {
		int r = p->obj[i].depth ? check_sub(c, i) : check_root(c, i);
		if (r < 0)
			return -1;
	}
	return check_payload(c);
}

static int parse(struct qr_emv *p, const char *s, size_t len, unsigned flags,
		 struct qr_emv_diag *d, int crc_known)
{
	struct pctx c;
	int16_t root[100];
	int r;

	memset(root, 0xFF, sizeof root);
	p->nobj = 0;
	pctx_init(&c, p, s, len, flags, d, crc_known, root);
	if (len > QR_EMV_MAX_LEN)
		return fail_o(&c, 0, -1, 0, "payload is %zu bytes, over %d", len, QR_EMV_MAX_LEN);
	if (!s && len)
		return fail_o(&c, 0, -1, 0, "no payload");
	r = scan_root(&c);
	if (r < 0)
		return r;
	if (check_rules(&c) < 0)
		return -1;
	return (int)len;
}

int qr_emv_parse(struct qr_emv *p, const char *s, size_t len, unsigned flags,
		 struct qr_emv_diag *d)
{
	return parse(p, s, len, flags, d, 0);
}

int qr_emv_find(const struct qr_emv *p, int parent, unsigned id)
{
	if (parent >= p->nobj)
		return -1;
	if (parent >= 0)
		return child(p, parent, id);
	for (int i = 0; i < p->nobj; i++)
		if (p->obj[i].parent < 0 && p->obj[i].id == id)
			return i;
	return -1;
}

const char *qr_emv_val(const struct qr_emv *p, int i, size_t *len)
{
	if (i < 0 || i >= p->nobj) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = p->obj[i].val_len;
	return p->s + p->obj[i].val_off;
}

int qr_emv_copy(const struct qr_emv *p, int i, char *buf, size_t size)
{
	size_t n;
	const char *v = qr_emv_val(p, i, &n);

	if (!v || n >= size) {
		if (size)
			buf[0] = '\0';
		return -1;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	return (int)n;
}

/* ---- Encoder ---- */

/* The encoder keeps the object table as it writes, in the form pass 1
 * of the parser gives it (e->tab: same fields, same order), so that
 * qr_emv_enc_finish() runs passes 2-4 on it instead of scanning the
 * payload again. What pass 1 would reject in the encoder's own output is
 * recorded where it happens (e->serr) and reported by finish with the
 * parser's message:
 *   - the first root object is not 00 (or nothing but the CRC);
 *   - an ID twice at the root or directly inside one template;
 *   - a 63 written by the caller (wrong length, or data after it).
 * The rest of pass 1 cannot fail: IDs and lengths are digits, lengths
 * are 1-99 characters and match the UTF-8 they count, and the payload
 * ends with the CRC. The table is the parser's view only if every object
 * opened is one the parser splits (root 26-51, 62, 64, 80-99, or 62.50-99)
 * and every object put is not: when a call breaks that (a template's
 * value put as raw TLV, a primitive opened as a template, a third level)
 * the table stops and finish parses the payload in full, as it did
 * before the table existed. */

enum {
	ENC_TAB,       /* e->tab is pass 1's table so far */
	ENC_SCANERR,   /* e->serr is pass 1's first error; e->tab stopped */
	ENC_REPARSE,   /* e->tab stopped; finish parses the payload */
	ENC_OFF,       /* failed or finished: nothing more is written */
};

enum { SERR_FIRST, SERR_TWICE, SERR_LEN63, SERR_AFTER63 };

#define ENC_NOID 1000u   /* enc_fail(): the message names no object */

/* Sticky error. lvl open templates (open_id[0..lvl)) lead to id. */
PRINTF(4, 5) COLD
static int enc_fail(struct qr_emv_enc *e, int lvl, unsigned id, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0, size = sizeof e->err.msg;

	if (e->failed)
		return -1;
	e->failed = 1;
	e->rec = ENC_OFF;
	e->err.offset = (int)e->nch;   /* characters in buf[0..len) */
	e->err.msg[0] = '\0';
	if (id != ENC_NOID) {
		int code = -1, w;
		for (int k = 0; k < lvl && k < 3; k++) {
			w = snprintf(e->err.msg + n, size - n, "%02u.", e->open_id[k] % 100);
			n += w > 0 ? (size_t)w : 0;
		}
		if (lvl == 1)
			code = (int)e->open_id[0];
		else if (lvl == 2)
			code = (int)(e->open_id[0] * 100 + e->open_id[1]);
		else if (lvl > 2)
			code = 9999;
		w = snprintf(e->err.msg + n, size - n, "%02u (%s) ", id, qr_emv_name(code, id));
		n += w > 0 ? (size_t)w : 0;
		if (n >= size)
			n = size - 1;
	}
	va_start(ap, fmt);
	vsnprintf(e->err.msg + n, size - n, fmt, ap);
	va_end(ap);
	return -1;
}

void qr_emv_enc_init(struct qr_emv_enc *e)
{
	e->len = 0;
	e->depth = 0;
	e->failed = 0;
	e->err.offset = 0;
	e->err.msg[0] = '\0';
	e->buf[0] = '\0';
	e->nch = 0;
	e->rec = ENC_TAB;
	e->tab.nobj = 0;
	memset(e->root, 0xFF, sizeof e->root);
	e->seen[0][0] = e->seen[0][1] = 0;
	e->slow[0][0] = ~1ull;   /* until 00 is written, anything else */
	e->slow[0][1] = ~0ull;
}

/* "00".."99", for IDs and lengths. */
static const char dig2[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Room for "6304" and the CRC, always kept free. */
#define ENC_ROOM (QR_EMV_MAX_LEN - 8)

/* Checks shared by put and open, in this order. */
static inline int enc_check(struct qr_emv_enc *e, unsigned id)
{
	if (e->failed)
		return -1;
	if (e->depth < 0)
		return enc_fail(e, 0, ENC_NOID, "encoder already finished");
	if (id > 99)
		return enc_fail(e, 0, ENC_NOID, "ID %u is not 0..99", id);
	return 0;
}

static void enc_serr(struct qr_emv_enc *e, int what, int parent, unsigned id, unsigned nch)
{
	e->rec = ENC_SCANERR;
	e->serr = what;
	e->serr_parent = parent;
	e->serr_id = id;
	e->serr_nch = nch;
	e->serr_coff = e->nch;
}

/* IDs the parser splits into sub-objects, plus 63, at the root
 * (root_tmpl(): 26-51, 62, 64, 80-99), and 50-99 inside 62: as e->slow
 * words. */
#define SLOW_ROOT0 0xC00FFFFFFC000000ull    /* 26-51, 62, 63 */
#define SLOW_ROOT1 0x0000000FFFFF0001ull    /* 64, 80-99 */
#define SLOW_62_0 0xFFFC000000000000ull     /* 50-63 */
#define SLOW_62_1 0x0000000FFFFFFFFFull     /* 64-99 */

/* Adds the object whose header starts at e->len to the table: id, nch
 * characters and vlen bytes of value (both 0 for a template until it is
 * closed). Applies pass 1's checks, in pass 1's order. */
static void enc_rec(struct qr_emv_enc *e, unsigned id, unsigned nch, size_t vlen, int tmpl)
{
	struct qr_emv *p = &e->tab;
	int d = e->depth, parent = d ? e->open_ix[d - 1] : -1, split;
	uint64_t bit = 1ull << (id & 63);

	if (e->rec != ENC_TAB)
		return;
	/* Would the parser split this object into sub-objects? Its parent
	 * is one the parser split, or rec would not be ENC_TAB. */
	if (d == 0)
		split = root_tmpl(id);
	else
		split = d == 1 && e->open_id[0] == 62 && id >= 50;
	if (split != tmpl || d > 2 || p->nobj >= QR_EMV_MAX_OBJS - 1) {
		e->rec = ENC_REPARSE;
		return;
	}
	if (d == 0 && p->nobj == 0 && id != 0)
		return enc_serr(e, SERR_FIRST, -1, id, nch);
	if (e->seen[d][id >> 6] & bit)
		return enc_serr(e, SERR_TWICE, parent, id, nch);
	if (d == 0 && id == 63)
		return enc_serr(e, nch == 4 ? SERR_AFTER63 : SERR_LEN63, -1, id, nch);
	if (d == 0) {
		if (p->nobj == 0) {
			e->slow[0][0] = SLOW_ROOT0;
			e->slow[0][1] = SLOW_ROOT1;
		}
		e->root[id] = (int16_t)p->nobj;
	} else {
		p->obj[parent].nsub++;
	}
	e->seen[d][id >> 6] |= bit;
	p->obj[p->nobj++] = (struct qr_emv_obj){
		.off = (uint32_t)e->len, .coff = e->nch, .val_off = (uint32_t)e->len + 4,
		.val_len = (uint16_t)vlen, .id = (uint8_t)id, .nchars = (uint8_t)nch,
		.parent = (int16_t)parent, .nsub = 0, .is_tmpl = (uint8_t)tmpl,
		.depth = (uint8_t)d,
	};
}

/* Characters of the UTF-8 value v[0..n), counting no further than 100;
 * -1 with *bad the byte index at an invalid sequence. */
static int enc_count(const unsigned char *v, size_t n, size_t *bad)
{
	size_t k = 0;
	unsigned c = 0;

	while (k < n && c <= 99) {
		/* 8 ASCII bytes are 8 characters; c + 7 <= 99 keeps the limit. */
		if (c <= 92 && n - k >= 8) {
			uint64_t w;
			memcpy(&w, v + k, 8);
			if (!(w & 0x8080808080808080ull)) {
				k += 8;
				c += 8;
				continue;
			}
		}
		if (v[k] < 0x80) {
			k++;
		} else {
			int l = u8_seq(v + k, n - k);
			if (l <= 0) {
				*bad = k;
				return -1;
			}
			k += (size_t)l;
		}
		c++;
	}
	return (int)c;
}

/* Copies v[0..n) to dst; returns 0 if it is all ASCII. Short values
 * move as two overlapping words instead of byte by byte. */
static uint64_t copy_ascii(char *dst, const unsigned char *v, size_t n)
{
	uint64_t w, acc = 0;
	uint32_t a, b;
	size_t k;

	if (n >= 8) {
		for (k = 0; k + 8 <= n; k += 8) {
			memcpy(&w, v + k, 8);
			memcpy(dst + k, &w, 8);
			acc |= w;
		}
		memcpy(&w, v + n - 8, 8);
		memcpy(dst + n - 8, &w, 8);
		return (acc | w) & 0x8080808080808080ull;
	}
	if (n >= 4) {
		memcpy(&a, v, 4);
		memcpy(&b, v + n - 4, 4);
		memcpy(dst, &a, 4);
		memcpy(dst + n - 4, &b, 4);
		return (a | b) & 0x80808080u;
	}
	for (k = 0; k < n; k++)
		acc |= dst[k] = (char)v[k];
	return acc & 0x80;
}

/* qr_emv_enc_put(), every check in order. Not inlined, so that the fast
 * path saves no registers. */
NOINLINE
static int enc_put_slow(struct qr_emv_enc *e, unsigned id, const char *val, size_t vlen)
{
	const unsigned char *v = (const unsigned char *)val;
	size_t bad = 0;
	char *h;
	int n;

	if (enc_check(e, id) < 0)
		return -1;
	if (!val || vlen == 0)
		return enc_fail(e, e->depth, id, "is empty");
	n = enc_count(v, vlen, &bad);
	if (n < 0)
		return enc_fail(e, e->depth, id, "is not valid UTF-8 (byte 0x%02X at %zu)",
				v[bad], bad);
	if (n > 99)
		return enc_fail(e, e->depth, id, "is over 99 characters");
	if (e->len + 4 + vlen > ENC_ROOM)
		return enc_fail(e, e->depth, id, "does not fit: payload over %d bytes",
				QR_EMV_MAX_LEN);
	enc_rec(e, id, (unsigned)n, vlen, 0);
	h = e->buf + e->len;
	memcpy(h, dig2 + 2 * id, 2);
	memcpy(h + 2, dig2 + 2 * n, 2);
	memcpy(h + 4, val, vlen);
	e->len += 4 + vlen;
	e->nch += 4 + (unsigned)n;
	if (e->depth > 0)
		e->open_nch[e->depth - 1] += 4 + (unsigned)n;
	return 0;
}

int qr_emv_enc_put(struct qr_emv_enc *e, unsigned id, const char *val, size_t vlen)
{
	size_t len = e->len;
	int d = e->depth, i = e->tab.nobj, parent;
	uint64_t bit = 1ull << (id & 63);
	char *h = e->buf + len;

	/* Fast path, when enc_put_slow() would find nothing to say: the
	 * table kept (so no error so far, not finished), an ID that is
	 * neither one e->slow lists (one the parser would split, 63,
	 * anything but 00 first) nor one already written at this level,
	 * 1-99 bytes that fit and are ASCII (so 1-99 characters). */
	if (e->rec != ENC_TAB || id > 99 || !val || vlen - 1 >= 99 ||
	    len + 4 + vlen > ENC_ROOM || i >= QR_EMV_MAX_OBJS - 1 ||
	    ((e->slow[d][id >> 6] | e->seen[d][id >> 6]) & bit) ||
	    copy_ascii(h + 4, (const unsigned char *)val, vlen))
		return enc_put_slow(e, id, val, vlen);
	e->seen[d][id >> 6] |= bit;
	if (d == 0) {
		e->root[id] = (int16_t)i;
		parent = -1;
		if (i == 0) {           /* 00 first: from now on, as enc_rec() */
			e->slow[0][0] = SLOW_ROOT0;
			e->slow[0][1] = SLOW_ROOT1;
		}
	} else {
		parent = e->open_ix[d - 1];
		e->tab.obj[parent].nsub++;
		e->open_nch[d - 1] += 4 + (unsigned)vlen;
	}
	e->tab.obj[i] = (struct qr_emv_obj){
		.off = (uint32_t)len, .coff = e->nch, .val_off = (uint32_t)len + 4,
		.val_len = (uint16_t)vlen, .id = (uint8_t)id, .nchars = (uint8_t)vlen,
		.parent = (int16_t)parent, .nsub = 0, .is_tmpl = 0, .depth = (uint8_t)d,
	};
	e->tab.nobj = i + 1;
	memcpy(h, dig2 + 2 * id, 2);
	memcpy(h + 2, dig2 + 2 * vlen, 2);
	e->len = len + 4 + vlen;
	e->nch += 4 + (unsigned)vlen;
	return 0;
}

int qr_emv_enc_open(struct qr_emv_enc *e, unsigned id)
{
	char *h;
	int d;

	if (enc_check(e, id) < 0)
		return -1;
	if (e->len + 4 > ENC_ROOM)
		return enc_fail(e, e->depth, id, "does not fit: payload over %d bytes",
				QR_EMV_MAX_LEN);
	d = e->depth;
	if (d >= 3)
		return enc_fail(e, d, id, "is nested more than 3 templates deep");
	e->open_ix[d] = e->tab.nobj;  /* meaningful only while rec is ENC_TAB */
	enc_rec(e, id, 0, 0, 1);
	e->open_at[d] = e->len + 2;
	e->open_id[d] = id;
	e->open_nch[d] = 0;
	e->seen[d + 1][0] = e->seen[d + 1][1] = 0;
	e->slow[d + 1][0] = d == 0 && id == 62 ? SLOW_62_0 : 0;
	e->slow[d + 1][1] = d == 0 && id == 62 ? SLOW_62_1 : 0;
	e->depth = d + 1;
	h = e->buf + e->len;
	memcpy(h, dig2 + 2 * id, 2);
	h[2] = '0';
	h[3] = '0';
	e->len += 4;
	e->nch += 4;
	return 0;
}

int qr_emv_enc_close(struct qr_emv_enc *e)
{
	size_t at;
	unsigned n;
	int d;

	if (e->failed)
		return -1;
	if (e->depth <= 0)
		return enc_fail(e, 0, ENC_NOID, "no template is open");
	d = e->depth - 1;
	n = e->open_nch[d];   /* every character written since open */
	if (n == 0)
		return enc_fail(e, d, e->open_id[d], "is an empty template");
	if (n > 99)
		return enc_fail(e, d, e->open_id[d], "is %u characters, over 99", n);
	at = e->open_at[d];
	memcpy(e->buf + at, dig2 + 2 * n, 2);
	if (e->rec == ENC_TAB) {
		struct qr_emv_obj *o = &e->tab.obj[e->open_ix[d]];
		o->val_len = (uint16_t)(e->len - o->val_off);
		o->nchars = (uint8_t)n;
	}
	if (d > 0)
		e->open_nch[d - 1] += 4 + n;
	e->depth = d;
	return 0;
}

/* Reports e->serr as pass 1 words it. */
COLD
static int enc_scan_fail(struct pctx *c, const struct qr_emv_enc *e)
{
	char d1[64];
	uint32_t coff = e->serr_coff;

	desc(c->p, e->serr_parent, e->serr_id, d1, sizeof d1);
	switch (e->serr) {
	case SERR_FIRST:
		return fail_o(c, 0, -1, 0,
			      "00 (payload format indicator) must come first, not %s", d1);
	case SERR_TWICE:
		return fail_o(c, coff, -1, 0, "%s appears twice", d1);
	case SERR_LEN63:
		return fail_o(c, coff + 2, -1, 0, "63 (CRC) has length %02u, not 04",
			      e->serr_nch);
	default:
		return fail_o(c, coff + 4 + e->serr_nch, -1, 0,
			      "data after 63 (CRC): the CRC must be the last object");
	}
}

int qr_emv_enc_finish(struct qr_emv_enc *e, const char **out, struct qr_emv_diag *d)
{
	struct qr_emv_diag local, *dp = d ? d : &local;
	struct pctx c;
	uint16_t crc;
	char *t;
	int r;

	if (out)
		*out = NULL;
	if (!e->failed) {
		if (e->depth < 0)
			enc_fail(e, 0, ENC_NOID, "encoder already finished");
		else if (e->depth > 0)
			enc_fail(e, e->depth - 1, e->open_id[e->depth - 1], "is not closed");
		else if (e->len + 8 > QR_EMV_MAX_LEN)
			enc_fail(e, 0, 63, "does not fit: payload over %d bytes", QR_EMV_MAX_LEN);
	}
	if (e->failed) {
		if (d) {
			d->err = e->err;
			d->nwarn = 0;
		}
		return -1;
	}
	/* The CRC object: pass 1 only checks that it comes after 00. */
	if (e->rec == ENC_TAB) {
		if (e->tab.nobj == 0) {
			enc_serr(e, SERR_FIRST, -1, 63, 4);
		} else {
			struct qr_emv_obj *o = &e->tab.obj[e->tab.nobj];
			e->root[63] = (int16_t)e->tab.nobj++;
			o->off = (uint32_t)e->len;
			o->coff = e->nch;
			o->val_off = (uint32_t)e->len + 4;
			o->val_len = 4;
			o->id = 63;
			o->nchars = 4;
			o->parent = -1;
			o->nsub = 0;
			o->is_tmpl = 0;
			o->depth = 0;
		}
	}
	t = e->buf + e->len;
	memcpy(t, "6304", 4);
	crc = qr_emv_crc(e->buf, e->len + 4);
	t[4] = hexdig[crc >> 12];
	t[5] = hexdig[(crc >> 8) & 15];
	t[6] = hexdig[(crc >> 4) & 15];
	t[7] = hexdig[crc & 15];
	t[8] = '\0';
	e->len += 8;
	e->nch += 8;
	e->depth = -1;
	/* Every rule of a strict parse but the CRC comparison (the CRC was
	 * computed just above), on the table or, failing that, the bytes. */
	if (e->rec == ENC_REPARSE) {
		r = parse(&e->tab, e->buf, e->len, QR_EMV_STRICT, dp, 1);
	} else {
		pctx_init(&c, &e->tab, e->buf, e->len, QR_EMV_STRICT, dp, 1, e->root);
		c.nchars = e->nch;
		if (e->rec == ENC_SCANERR)
			r = enc_scan_fail(&c, e);
		else
			r = check_rules(&c);
	}
	e->rec = ENC_OFF;
	if (r < 0) {
		e->failed = 1;
		e->err = dp->err;
		return -1;
	}
	if (out)
		*out = e->buf;
	return (int)e->len;
}

static int empty(const char *s)
{
	return !s || !*s;
}

static void enc_str(struct qr_emv_enc *e, unsigned id, const char *s)
{
	if (!empty(s))
		qr_emv_enc_put(e, id, s, strlen(s));
}

int qr_emv_encode_merchant(struct qr_emv_enc *e, const struct qr_emv_merchant *m,
			   const struct qr_emv_profile *prof, const char **out,
			   struct qr_emv_diag *d)
{
	unsigned tag = prof && prof->account_tag ? prof->account_tag : QR_EMV_DEFAULT_TAG;
	const char *gui = prof && !empty(prof->gui) ? prof->gui : QR_EMV_DEFAULT_GUI;
	const char *ccy = m->currency;

	qr_emv_enc_init(e);
	if (tag < 26 || tag > 51) {
		enc_fail(e, 0, ENC_NOID, "account template tag %u is not 26..51", tag);
	} else if (empty(m->party_type)) {
		enc_fail(e, 0, ENC_NOID, "%02u.01 (party type) is missing", tag);
	} else if (empty(m->party_id)) {
		enc_fail(e, 0, ENC_NOID, "%02u.02 (party id) is missing", tag);
	} else if (empty(m->mcc)) {
		enc_fail(e, 0, 52, "is missing");
	} else if (empty(ccy)) {
		enc_fail(e, 0, 53, "is missing");
	} else if (empty(m->country)) {
		enc_fail(e, 0, 58, "is missing");
	} else if (empty(m->name)) {
		enc_fail(e, 0, 59, "is missing");
	} else if (empty(m->city)) {
		enc_fail(e, 0, 60, "is missing");
	} else if (ccy[1] && ccy[2] && !ccy[3] && !is_digit((unsigned char)ccy[0])) {
		/* 3 characters (no strlen: enc_str() measures it once) */
		const struct ccy *cy = ccy_find_alpha(ccy, 3);
		if (!cy)
			enc_fail(e, 0, 53, "\"%s\" is not a known ISO 4217 currency", ccy);
		else
			ccy = cy->num;
	}
	qr_emv_enc_put(e, 0, "01", 2);
	qr_emv_enc_put(e, 1, empty(m->amount) ? "11" : "12", 2);
	qr_emv_enc_open(e, tag);
	qr_emv_enc_put(e, 0, gui, strlen(gui));
	enc_str(e, 1, m->party_type);
	enc_str(e, 2, m->party_id);
	enc_str(e, 3, m->party_sub_id);
	enc_str(e, 4, m->fsp_id);
	qr_emv_enc_close(e);
	enc_str(e, 52, m->mcc);
	enc_str(e, 53, ccy);
	enc_str(e, 54, m->amount);
	enc_str(e, 58, m->country);
	enc_str(e, 59, m->name);
	enc_str(e, 60, m->city);
	if (!empty(m->bill) || !empty(m->reference) || !empty(m->terminal)) {
		qr_emv_enc_open(e, 62);
		enc_str(e, 1, m->bill);
		enc_str(e, 5, m->reference);
		enc_str(e, 7, m->terminal);
		qr_emv_enc_close(e);
	}
	return qr_emv_enc_finish(e, out, d);
}

/* ---- Payment targets ---- */

/* Copies object i into buf. i < 0 gives "". A value that does not fit
 * is cut at a character boundary when cut is set, else refused (-1). */
static int tcopy(const struct qr_emv *p, int i, char *buf, size_t size, int cut)
{
	size_t n;
	const char *v = qr_emv_val(p, i, &n);

	buf[0] = '\0';
	if (!v)
		return i < 0 ? 0 : -1;
	if (n >= size) {
		if (!cut)
			return -1;
		n = size - 1;
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

/* Copies an identifier (party type, id, FSP): refused (-1) when it does
 * not fit or holds a control character, which no party id may carry. */
static int idcopy(const struct qr_emv *p, int i, char *buf, size_t size)
{
	size_t n;
	const char *v = qr_emv_val(p, i, &n);

	for (size_t k = 0; v && k < n; k++)
		if ((unsigned char)v[k] < 0x20 || v[k] == 0x7F) {
			buf[0] = '\0';
			return -1;
		}
	return tcopy(p, i, buf, size, 0);
}

/* Case-insensitive ASCII comparison of object i's value with s. */
static int val_ieq(const struct qr_emv *p, int i, const char *s)
{
	size_t n, k;
	const char *v = qr_emv_val(p, i, &n);

	if (!v || strlen(s) != n)
		return 0;
	for (k = 0; k < n; k++)
		if (to_upper((unsigned char)v[k]) != to_upper((unsigned char)s[k]))
			return 0;
	return 1;
}

static int val_eq(const struct qr_emv *p, int i, const char *s)
{
	size_t n;
	const char *v = qr_emv_val(p, i, &n);
	return v && strlen(s) == n && memcmp(v, s, n) == 0;
}

static int fspiop_type(const char *s)
{
	static const char *const types[] = {
		"MSISDN", "EMAIL", "PERSONAL_ID", "BUSINESS", "DEVICE", "ACCOUNT_ID",
		"IBAN", "ALIAS", "CONSENT", "THIRD_PARTY_LINK",
	};
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
		if (strcmp(s, types[k]) == 0)
			return 1;
	return 0;
}

PRINTF(3, 4)
static void reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0 || err[0])
		return;        /* keep the first reason */
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void set_party(struct qr_emv_target *t, const char *scheme, const char *type)
{
	snprintf(t->scheme, sizeof t->scheme, "%s", scheme);
	snprintf(t->party_type, sizeof t->party_type, "%s", type);
}

/* Tillgate's own template ti: 01 party type, 02 id, 03 sub id, 04 FSP. */
static int tgt_tillgate(const struct qr_emv *p, int ti, struct qr_emv_target *t,
			char *err, size_t errlen)
{
	unsigned tag = p->obj[ti].id;

	if (idcopy(p, child(p, ti, 1), t->party_type, sizeof t->party_type) < 0 ||
	    idcopy(p, child(p, ti, 2), t->party_id, sizeof t->party_id) < 0 ||
	    idcopy(p, child(p, ti, 3), t->party_sub_id, sizeof t->party_sub_id) < 0 ||
	    idcopy(p, child(p, ti, 4), t->fsp_id, sizeof t->fsp_id) < 0) {
		reason(err, errlen, "Tillgate template %02u has a party field over its FSPIOP "
		       "size or with a control character", tag);
		goto bad;
	}
	if (!t->party_type[0] || !t->party_id[0]) {
		reason(err, errlen, "Tillgate template %02u has no party %s (%02u.%s)", tag,
		       t->party_type[0] ? "id" : "type", tag, t->party_type[0] ? "02" : "01");
		goto bad;
	}
	if (!fspiop_type(t->party_type)) {
		reason(err, errlen, "Tillgate template %02u: \"%s\" is not an FSPIOP party id type",
		       tag, t->party_type);
		goto bad;
	}
	snprintf(t->scheme, sizeof t->scheme, "tillgate");
	return 0;
bad:
	t->party_type[0] = t->party_id[0] = t->party_sub_id[0] = t->fsp_id[0] = '\0';
	return -1;
}

/* National schemes by GUI. Returns 0 when payable, -1 otherwise. */
static int tgt_scheme(const struct qr_emv *p, int ti, int gi, struct qr_emv_target *t,
		      char *err, size_t errlen)
{
	unsigned tag = p->obj[ti].id;
	int k;

	if (val_ieq(p, gi, "br.gov.bcb.pix")) {
		k = child(p, ti, 1);
		if (k < 0) {
			reason(err, errlen, "Pix template %02u has no key (%02u.01); dynamic Pix "
			       "codes (%02u.25 URL) are not supported", tag, tag, tag);
			return -1;
		}
		if (idcopy(p, k, t->party_id, sizeof t->party_id) < 0)
			return -1;
		set_party(t, "pix", "ALIAS");
		return 0;
	}
	if (tag == 29 && val_ieq(p, gi, "A000000677010111")) {
		const char *type = NULL;
		if ((k = child(p, ti, 1)) >= 0) {
			type = "MSISDN";
		} else if ((k = child(p, ti, 2)) >= 0) {
			size_t n;
			const char *v = qr_emv_val(p, k, &n);
			/* Thai tax IDs of companies start with 0, citizen IDs do not. */
			type = v[0] == '0' ? "BUSINESS" : "PERSONAL_ID";
		} else if ((k = child(p, ti, 3)) >= 0) {
			type = "ACCOUNT_ID";
		} else {
			reason(err, errlen, "PromptPay template 29 has no proxy (29.01-03)");
			return -1;
		}
		if (idcopy(p, k, t->party_id, sizeof t->party_id) < 0)
			return -1;
		/* "0066812345678" is 66812345678 in international (FSPIOP) form. */
		if (strcmp(type, "MSISDN") == 0 && t->party_id[0] == '0' && t->party_id[1] == '0')
			memmove(t->party_id, t->party_id + 2, strlen(t->party_id + 2) + 1);
		set_party(t, "promptpay", type);
		return 0;
	}
	if (val_ieq(p, gi, "SG.PAYNOW")) {
		int ty = child(p, ti, 1);
		k = child(p, ti, 2);
		if (ty < 0 || k < 0 || (!val_eq(p, ty, "0") && !val_eq(p, ty, "2"))) {
			reason(err, errlen, "PayNow template %02u has no mobile or UEN proxy", tag);
			return -1;
		}
		if (idcopy(p, k, t->party_id, sizeof t->party_id) < 0)
			return -1;
		if (val_eq(p, ty, "0") && t->party_id[0] == '+')
			memmove(t->party_id, t->party_id + 1, strlen(t->party_id));
		set_party(t, "paynow", val_eq(p, ty, "0") ? "MSISDN" : "BUSINESS");
		return 0;
	}
	return -1;
}

int qr_emv_target(const struct qr_emv *p, const struct qr_emv_profile *prof,
		  struct qr_emv_target *t, char *err, size_t errlen)
{
	unsigned tag = prof && prof->account_tag ? prof->account_tag : QR_EMV_DEFAULT_TAG;
	const char *gui = prof && !empty(prof->gui) ? prof->gui : QR_EMV_DEFAULT_GUI;
	int16_t r[100];
	char guis[80] = "";
	size_t gl = 0;
	int i, k;

	if (err && errlen)
		err[0] = '\0';
	t->scheme[0] = t->party_type[0] = t->party_id[0] = t->party_sub_id[0] = '\0';
	t->fsp_id[0] = '\0';
	memset(r, 0xFF, sizeof r);
	for (i = 0; i < p->nobj; i++)
		if (p->obj[i].parent < 0 && r[p->obj[i].id] < 0)
			r[p->obj[i].id] = (int16_t)i;

	tcopy(p, r[59] >= 0 ? r[59] : (r[64] >= 0 ? child(p, r[64], 1) : -1),
	      t->name, sizeof t->name, 1);
	tcopy(p, r[60] >= 0 ? r[60] : (r[64] >= 0 ? child(p, r[64], 2) : -1),
	      t->city, sizeof t->city, 1);
	tcopy(p, r[58], t->country, sizeof t->country, 1);
	tcopy(p, r[52], t->mcc, sizeof t->mcc, 1);
	tcopy(p, r[53], t->currency, sizeof t->currency, 1);
	tcopy(p, r[54], t->amount, sizeof t->amount, 1);
	t->dynamic = r[1] >= 0 && val_eq(p, r[1], "12");
	tcopy(p, r[62] >= 0 ? child(p, r[62], 1) : -1, t->bill, sizeof t->bill, 1);
	tcopy(p, r[62] >= 0 ? child(p, r[62], 5) : -1, t->reference, sizeof t->reference, 1);
	tcopy(p, r[62] >= 0 ? child(p, r[62], 7) : -1, t->terminal, sizeof t->terminal, 1);

	/* 1. Tillgate's own template. */
	i = tag <= 99 ? r[tag] : -1;
	if (i >= 0 && p->obj[i].is_tmpl && val_ieq(p, child(p, i, 0), gui) &&
	    tgt_tillgate(p, i, t, err, errlen) == 0)
		goto found;
	/* 2. Mojaloop merchant registry: 28 { 00 any, 01 ALIAS, 02 alias }. */
	i = r[28];
	if (i >= 0 && p->obj[i].is_tmpl && val_eq(p, child(p, i, 1), "ALIAS")) {
		k = child(p, i, 2);
		if (k < 0) {
			reason(err, errlen, "Mojaloop registry template 28 has no alias (28.02)");
		} else if (idcopy(p, k, t->party_id, sizeof t->party_id) == 0) {
			set_party(t, "mojaloop-registry", "ALIAS");
			goto found;
		} else {
			reason(err, errlen, "Mojaloop registry alias (28.02) is over %zu bytes or "
			       "has a control character", sizeof t->party_id - 1);
		}
	}
	/* 3. National schemes, in tag order. */
	for (unsigned id = 26; id <= 51; id++) {
		int gi;
		size_t n;
		const char *v;
		if ((i = r[id]) < 0 || !p->obj[i].is_tmpl || (gi = child(p, i, 0)) < 0)
			continue;
		if (tgt_scheme(p, i, gi, t, err, errlen) == 0 && t->party_id[0])
			goto found;
		t->scheme[0] = t->party_type[0] = '\0';
		t->party_id[0] = '\0';
		v = qr_emv_val(p, gi, &n);
		if (gl + n + 5 < sizeof guis) {
			gl += (size_t)snprintf(guis + gl, sizeof guis - gl, "%s%02u %.*s",
					       gl ? ", " : "", id, (int)n, v);
		}
	}
	if (gl)
		reason(err, errlen, "no merchant account Tillgate can pay (%s)", guis);
	else
		reason(err, errlen, "no merchant account template (26-51) Tillgate can pay");
	return -ENOENT;
found:
	if (err && errlen)
		err[0] = '\0';  /* an earlier template's reason no longer matters */
	return 0;
}
